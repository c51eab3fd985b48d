"""int8 export (tools/deployment/export_onnx.py --int8, quantize_onnx) run by
the ONNX Runtime backend, against the fp32 PyTorch model on a tiny config."""
import re

import numpy as np
import pytest

pytest.importorskip('onnxscript', reason='exporting needs onnxscript (requirements/deploy.txt)')
pytest.importorskip('onnxruntime', reason='the backend needs onnxruntime (requirements/deploy.txt)')


def _is_constant(graph, name: str) -> bool:
    """Whether value ``name`` of ``graph`` is an initializer, or computed
    from initializers and constants only."""
    if name in {t.name for t in graph.initializer}:
        return True
    producer = next((n for n in graph.node if name in n.output), None)
    return producer is not None and (producer.op_type == 'Constant' or all(
        _is_constant(graph, i) for i in producer.input if i))


def test_weight_views_are_folded_into_weights():
    """x @ W[2:130].T, with the slice and the transpose as operators,
    becomes x @ V with V = W[2:130].T a weight of its own, and computes the
    same. W has more elements (9600) than onnxscript folds by default
    (8192), as a real tower's q/k/v weights do."""
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    from mmris.deployment import fold_weight_views
    weight = np.random.default_rng(0).random((200, 48), dtype=np.float32)
    nodes = [helper.make_node('Slice', ['W', 'starts', 'ends', 'axes'], ['rows']),
             helper.make_node('Transpose', ['rows'], ['view'], perm=[1, 0]),
             helper.make_node('MatMul', ['x', 'view'], ['y'])]
    initializers = [numpy_helper.from_array(weight, 'W')] + [
        numpy_helper.from_array(np.array([value], np.int64), name)
        for name, value in (('starts', 2), ('ends', 130), ('axes', 0))]
    graph = helper.make_graph(nodes, 'view', [helper.make_tensor_value_info(
        'x', TensorProto.FLOAT, [2, 48])], [helper.make_tensor_value_info(
            'y', TensorProto.FLOAT, [2, 128])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 18)])
    folded = fold_weight_views(model)

    matmul, = folded.graph.node
    assert matmul.op_type == 'MatMul'
    values = {t.name: numpy_helper.to_array(t) for t in folded.graph.initializer}
    np.testing.assert_array_equal(values[matmul.input[1]], weight[2:130].T)
    x = np.random.default_rng(1).random((2, 48), dtype=np.float32)
    run = [onnxruntime.InferenceSession(m.SerializeToString()).run(None, {'x': x})[0]
           for m in (model, folded)]
    np.testing.assert_array_equal(run[0], run[1])
    np.testing.assert_allclose(run[1], x @ weight[2:130].T, rtol=1e-6)


def test_int8_export_runs_in_the_onnxruntime_inferencer(tiny_model_files, run_tool):
    """Without --out the file is named after the checkpoint (``_int8.onnx``);
    its weight products are int8, and the ONNX Runtime inferencer runs it
    close to the fp32 PyTorch model."""
    import onnx

    from mmris.apis import RISInferencer
    config, checkpoint, _ = tiny_model_files
    int8_file = checkpoint[:-len('.pth')] + '_int8.onnx'
    result = run_tool('deployment/export_onnx.py', config, checkpoint, '--int8', '--verify')
    assert result.returncode == 0, result.stdout[-3000:]
    assert f'wrote {int8_file}' in result.stdout and 'int8' in result.stdout
    diff, agreement = re.search(r'logits max abs diff (\S+), stride-4 mask agreement (\S+)%',
                                result.stdout).groups()
    assert 0 < float(diff) < 0.5 and float(agreement) > 90  # quantised, not exact

    graph = onnx.load(int8_file).graph
    int8_weights = [t for t in graph.initializer if t.data_type == onnx.TensorProto.INT8]
    fp32_matmuls = [n.name for n in graph.node if n.op_type in ('MatMul', 'Gemm')
                    and any(_is_constant(graph, i) for i in n.input)]
    # Every matrix product with a weight is int8, also where the network
    # reads the weight through a view (the attention's q/k/v slices).
    assert int8_weights and not fp32_matmuls, fp32_matmuls

    image = (np.random.default_rng(0).random((48, 80, 3)) * 255).astype(np.uint8)
    expressions = ['the red circle', 'the square on the left']
    expected = RISInferencer(config, weights=checkpoint, device='cpu')(image, expressions)
    got = RISInferencer(config, weights=int8_file, backend='onnxruntime')(image, expressions)
    for want, have in zip(expected['predictions'], got['predictions']):
        assert have['text'] == want['text'] and have['mask'].shape == (48, 80)
        assert np.abs(have['prob'] - want['prob']).max() < 0.1
        assert (have['mask'] == want['mask']).mean() > 0.9

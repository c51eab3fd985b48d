"""int8 export (tools/deployment/export_onnx.py --int8, quantize_onnx) run by
the ONNX Runtime backend, against the fp32 PyTorch model on a tiny config."""
import re

import numpy as np
import pytest

pytest.importorskip('onnxscript', reason='exporting needs onnxscript (requirements/deploy.txt)')
pytest.importorskip('onnxruntime', reason='the backend needs onnxruntime (requirements/deploy.txt)')


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
    fp32_matmuls = [n for n in graph.node if n.op_type in ('MatMul', 'Gemm')
                    and any(i in {t.name for t in graph.initializer} for i in n.input)]
    assert int8_weights and not fp32_matmuls  # every weight matrix product is int8

    image = (np.random.default_rng(0).random((48, 80, 3)) * 255).astype(np.uint8)
    expressions = ['the red circle', 'the square on the left']
    expected = RISInferencer(config, weights=checkpoint, device='cpu')(image, expressions)
    got = RISInferencer(config, weights=int8_file, backend='onnxruntime')(image, expressions)
    for want, have in zip(expected['predictions'], got['predictions']):
        assert have['text'] == want['text'] and have['mask'].shape == (48, 80)
        assert np.abs(have['prob'] - want['prob']).max() < 0.1
        assert (have['mask'] == want['mask']).mean() > 0.9

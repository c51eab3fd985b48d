"""ONNX export (tools/deployment/export_onnx.py) and the ONNX Runtime backend
against PyTorch on tiny configs."""
import re

import numpy as np
import pytest
import torch

pytest.importorskip('onnxscript', reason='exporting needs onnxscript (requirements/deploy.txt)')
pytest.importorskip('onnxruntime', reason='the backend needs onnxruntime (requirements/deploy.txt)')


def test_exported_resnet_model_matches_pytorch(tiny_config, tmp_path):
    import onnxruntime

    from mmris.apis import init_model
    from mmris.deployment import export_onnx
    model = init_model(tiny_config('rn50'))  # its attention pool resizes positions per call
    path = export_onnx(model, tmp_path / 'rn50.onnx', batch_size=2)
    session = onnxruntime.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    assert [(node.name, node.shape) for node in session.get_inputs()] == [
        ('image', [2, 3, 64, 64]), ('token_ids', [2, 17])]
    images = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    token_ids = model.backbone.tokenize(['the red circle on the left', 'a dog'])
    with torch.no_grad():
        expected = model.logits(images, token_ids)
    got, = session.run(['logits'], {'image': images.numpy(), 'token_ids': token_ids.numpy()})
    assert got.shape == (2, 1, 16, 16)
    np.testing.assert_allclose(got, expected.numpy(), rtol=0, atol=1e-4)


def test_export_tool_and_onnxruntime_inferencer(tiny_model_files, run_tool, tmp_path):
    from mmris.apis import RISInferencer
    config, checkpoint, _ = tiny_model_files
    onnx_file = tmp_path / 'tiny.onnx'
    result = run_tool('deployment/export_onnx.py', config, checkpoint, '--out', onnx_file,
                      '--verify')
    assert result.returncode == 0, result.stdout[-3000:]
    assert f'wrote {onnx_file}' in result.stdout
    diff, agreement = re.search(r'logits max abs diff (\S+), stride-4 mask agreement (\S+)%',
                                result.stdout).groups()
    assert float(diff) < 1e-4 and float(agreement) == 100

    image = (np.random.default_rng(0).random((48, 80, 3)) * 255).astype(np.uint8)
    expressions = ['the red circle', 'the square on the left', 'a blue triangle']
    kwargs = dict(batch_size=2, threshold=0.5)
    expected = RISInferencer(config, weights=checkpoint, device='cpu')(image, expressions, **kwargs)
    ort = RISInferencer(config, weights=str(onnx_file), backend='onnxruntime')
    assert type(ort.model).__name__ == 'ORTSegmentor' and ort.model.batch_size == 1
    got = ort(image, expressions, **kwargs)  # batches of 2 run as 1 + 1
    for want, have in zip(expected['predictions'], got['predictions']):
        assert have['text'] == want['text'] and have['mask'].shape == (48, 80)
        np.testing.assert_allclose(have['prob'], want['prob'], rtol=0, atol=1e-4)
        assert (have['mask'] == want['mask']).mean() > 0.999


def test_onnxruntime_backend_refuses_a_checkpoint(tiny_model_files):
    from mmris.apis import RISInferencer
    config, checkpoint, _ = tiny_model_files
    with pytest.raises(ValueError, match=r"weights='<file>.onnx'"):
        RISInferencer(config, weights=checkpoint, backend='onnxruntime')


def test_a_no_target_head_is_exported_and_answers_as_in_pytorch(tmp_path):
    """The GRES demo model's no-target answers (score, flag, emptied mask)
    are ONNX Runtime's as they are PyTorch's, across the file's batches."""
    from mmengine.config import Config
    from mmseg.structures import SegDataSample

    from mmris.apis import init_model
    from mmris.datasets.transforms import letterbox_matrices
    from mmris.deployment import export_onnx, ort_segmentor_config
    from mmris.registry import MODELS
    cfg = Config.fromfile('configs/demo/etris_tiny_synthetic_grefcoco_no-target-head.py')
    torch.manual_seed(0)
    model = init_model(cfg)
    path = export_onnx(model, tmp_path / 'gres.onnx', batch_size=2)
    size = tuple(model.data_preprocessor.size)
    images = torch.randn(3, 3, *size, generator=torch.Generator().manual_seed(0))
    texts = ['all the circles', 'the purple star', 'the two squares']
    with torch.no_grad():
        scores = model.no_target_head(
            model.features(images, model.backbone.tokenize(texts))).sigmoid()
    threshold = float(scores.median())  # the highest score alone is above it
    model.no_target_head.threshold = cfg.model.no_target_head.threshold = threshold

    def samples():
        inverse = letterbox_matrices(size, size[0])[1]
        return [SegDataSample(metainfo=dict(text=text, ori_shape=size, img_shape=size,
                                            inverse_affine_matrix=inverse)) for text in texts]

    with torch.no_grad():
        expected = model.predict(images, samples())
    network = MODELS.build(ort_segmentor_config(path, cfg.model))
    got = network(images, samples())
    flags = [bool(score > threshold) for score in scores]
    assert flags.count(True) == 1
    assert [s.pred_no_target for s in expected] == [s.pred_no_target for s in got] == flags
    np.testing.assert_allclose([s.no_target_score for s in got], scores.numpy(), atol=1e-4)
    for want, have, flag in zip(expected, got, flags):
        assert bool(have.pred_sem_seg.data.any()) == bool(want.pred_sem_seg.data.any())
        if flag:
            assert not have.pred_sem_seg.data.any()


def test_a_file_that_does_not_fit_the_config_is_refused_in_one_line(tmp_path):
    """A file exported without the no-target head, given with a config that
    has one, would silently lose the no-target answers; images of another
    size than the file's would fail deep in ONNX Runtime."""
    from mmengine.config import Config

    from mmris.apis import init_model
    from mmris.deployment import export_onnx, ort_segmentor_config
    from mmris.registry import MODELS
    from mmris.utils.errors import ExportedNetworkError
    headless = Config.fromfile('configs/demo/etris_tiny_synthetic_grefcoco.py')
    with_head = Config.fromfile('configs/demo/etris_tiny_synthetic_grefcoco_no-target-head.py')
    path = export_onnx(init_model(headless), tmp_path / 'headless.onnx')
    with pytest.raises(ExportedNetworkError, match=r'headless.onnx: the config has a '
                       r'no_target_head but the file has no no_target_logits output'):
        MODELS.build(ort_segmentor_config(path, with_head.model))
    network = MODELS.build(ort_segmentor_config(path, headless.model))
    size = headless.model.data_preprocessor.size
    token_ids = network.tokenizer(['the red circle'])
    assert network.logits(torch.zeros(1, 3, *size), token_ids).shape[0] == 1
    with pytest.raises(ExportedNetworkError, match=rf'headless.onnx takes images of '
                       rf'{size[0]}x{size[1]} \(fixed at export\), these are 96x96'):
        network.logits(torch.zeros(1, 3, 96, 96), token_ids)


def test_the_default_file_name_sits_beside_a_checkpoint_or_here_for_a_url():
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location(
        'export_onnx_tool', Path(__file__).parents[2] / 'tools' / 'deployment' / 'export_onnx.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.default_out_file('work_dirs/demo/iter_2000.pth', False) == \
        Path('work_dirs/demo/iter_2000.onnx')
    assert tool.default_out_file('work_dirs/demo/iter_2000.pth', True) == \
        Path('work_dirs/demo/iter_2000_int8.onnx')
    assert tool.default_out_file('https://example.com/ckpts/etris_vitb.pth', False) == \
        Path('etris_vitb.onnx')

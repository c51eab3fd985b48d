"""tools/test.py on an exported .onnx file: the test set runs through ONNX
Runtime and scores as the checkpoint it was exported from."""
import pickle
import re

import numpy as np
import pytest

pytest.importorskip('onnxscript', reason='exporting needs onnxscript (requirements/deploy.txt)')
pytest.importorskip('onnxruntime', reason='the backend needs onnxruntime (requirements/deploy.txt)')


@pytest.fixture(scope='module')
def exported(tmp_path_factory, etris_config, trained_etris, run_tool):
    """The trained tiny model's checkpoint and its fp32 .onnx file."""
    checkpoint = trained_etris / 'epoch_1.pth'
    onnx_file = tmp_path_factory.mktemp('onnx') / 'tiny.onnx'
    result = run_tool('deployment/export_onnx.py', etris_config, checkpoint, '--out', onnx_file)
    assert result.returncode == 0, result.stdout[-3000:]
    return checkpoint, onnx_file


def _test(run_tool, config, weights, work_dir, out) -> dict:
    """Run tools/test.py; the printed metrics and the dumped predictions."""
    result = run_tool('test.py', config, weights, '--work-dir', work_dir, '--out', out)
    assert result.returncode == 0, result.stdout[-3000:]
    metrics = {name: float(value) for name, value in
               re.findall(r'(mIoU|oIoU): ([\d.]+)', result.stdout.splitlines()[-1])}
    assert set(metrics) == {'mIoU', 'oIoU'}, result.stdout[-2000:]
    with open(out, 'rb') as f:
        return dict(metrics=metrics, predictions=pickle.load(f), log=result.stdout)


def test_onnx_file_scores_as_its_checkpoint(etris_config, exported, run_tool, tmp_path):
    checkpoint, onnx_file = exported
    torch_run = _test(run_tool, etris_config, checkpoint, tmp_path / 'torch', tmp_path / 'a.pkl')
    ort_run = _test(run_tool, etris_config, onnx_file, tmp_path / 'ort', tmp_path / 'b.pkl')
    # The run really went through ONNX Runtime: its dumped config says so.
    dumped = (tmp_path / 'ort' / 'etris_tiny_vitb.py').read_text()
    assert "type='mmris.ORTSegmentor'" in dumped and str(onnx_file) in dumped
    assert len(ort_run['predictions']) == len(torch_run['predictions']) > 0
    same, total = 0, 0
    for want, have in zip(torch_run['predictions'], ort_run['predictions'], strict=True):
        assert have['img_path'] == want['img_path'] and have['text'] == want['text']
        want_mask, have_mask = want['pred_sem_seg']['data'], have['pred_sem_seg']['data']
        assert have_mask.shape == want_mask.shape
        same += int((have_mask == want_mask).sum())
        total += want_mask.numel()
        np.testing.assert_allclose(have['pred_prob']['data'], want['pred_prob']['data'],
                                   rtol=0, atol=1e-4)
    assert same / total > 0.999
    for name in ('mIoU', 'oIoU'):
        assert ort_run['metrics'][name] == pytest.approx(torch_run['metrics'][name], abs=0.5)


@pytest.mark.parametrize('arguments, message', [
    (['--compile'], '--compile applies to PyTorch checkpoints'),
    (['--precision', 'bf16'], '--precision applies to PyTorch checkpoints'),
])
def test_options_an_onnx_file_cannot_take_are_refused(etris_config, exported, run_tool,
                                                      tmp_path, arguments, message):
    _, onnx_file = exported
    result = run_tool('test.py', etris_config, onnx_file, '--work-dir', tmp_path / 'w',
                      *arguments)
    assert result.returncode == 2
    assert result.last_line.startswith(f'error: {message}')
    assert not (tmp_path / 'w').exists()


def test_missing_and_damaged_onnx_files_end_in_one_line(etris_config, run_tool, tmp_path):
    missing = tmp_path / 'missing.onnx'
    result = run_tool('test.py', etris_config, missing, '--work-dir', tmp_path / 'w')
    assert result.returncode == 2
    assert result.last_line == (f"error: '{missing}' (CHECKPOINT) does not exist; write it with "
                                f"tools/deployment/export_onnx.py CONFIG CHECKPOINT --out "
                                f"FILE.onnx")
    damaged = tmp_path / 'damaged.onnx'
    damaged.write_bytes(b'not a network')
    result = run_tool('test.py', etris_config, damaged, '--work-dir', tmp_path / 'w')
    assert result.returncode == 2
    assert result.last_line.startswith(f'error: {damaged}: ONNX Runtime cannot load it')
    assert result.last_line.endswith('export it again with tools/deployment/export_onnx.py')

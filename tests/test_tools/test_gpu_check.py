"""tools/analysis_tools/gpu_check.py in its CPU mode (--device cpu --short),
on a subset of its checks to stay short: the referring demo config trained
in fp32 and bf16 autocast, and the Mask R-CNN test through mmcv's ops."""
import json

import pytest
import torch


def test_cpu_short_mode_writes_the_table_and_json(run_tool, tmp_path):
    out = tmp_path / 'check.json'
    result = run_tool('analysis_tools/gpu_check.py', '--device', 'cpu', '--short', '--checks',
                      'train', 'mmcv', '--tasks', 'referring', '--work-dir', tmp_path / 'work',
                      '--json', out)
    assert result.returncode == 0, result.stdout[-4000:]
    assert '| check' in result.stdout and f'written to {out}' in result.stdout
    rows = json.loads(out.read_text())['rows']
    trained = {row['precision']: row for row in rows if row['check'].startswith('train')}
    assert set(trained) == {'fp32', 'bf16'}
    for row in trained.values():
        losses = row['result']['losses']
        assert len(losses) == 4 and row['result']['nonfinite'] == 0 and row['status'] == 'ok'
        assert 'mIoU' in row['result']['metrics']
    # bf16 autocast changes the numbers a little, not the training.
    assert trained['bf16']['result']['losses'][0] == pytest.approx(
        trained['fp32']['result']['losses'][0], rel=0.05)
    mask_rcnn, = [row for row in rows if row['check'].startswith('Mask R-CNN')]
    assert mask_rcnn['status'] == 'ok' and mask_rcnn['result']['mmcv_cuda']


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the message without CUDA')
def test_cuda_without_cuda_is_one_line(run_tool):
    result = run_tool('analysis_tools/gpu_check.py', '--device', 'cuda')
    assert result.returncode == 2
    assert result.last_line.startswith('error: --device cuda: CUDA is not available')

"""tools/analysis_tools/gpu_check.py in its CPU mode (--device cpu --short),
on a subset of its checks to stay short: the referring demo config trained
in fp32 and bf16 autocast, and the Mask R-CNN test through mmcv's ops."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

TOOL = Path(__file__).parents[2] / 'tools' / 'analysis_tools' / 'gpu_check.py'


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


def test_a_folder_that_is_not_the_reference_is_refused_before_any_check(run_tool, tmp_path):
    result = run_tool('analysis_tools/gpu_check.py', '--device', 'cpu', '--short',
                      '--reference', tmp_path)
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: --reference '{tmp_path}' is not a checkout of "
                                       f"the reference ETRIS")


def test_a_check_that_does_not_pass_sets_the_exit_status(monkeypatch, tmp_path, capsys):
    """The table and the JSON are written, then the rows that are not ok are
    listed and the exit status is 1 (a stand-in for a failing mmcv check)."""
    spec = importlib.util.spec_from_file_location('gpu_check_tool', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    failing = dict(check='Mask R-CNN test (cpu)', config='mask-rcnn.py', precision='fp32',
                   status='FAIL', figures='mmcv ops CUDA False')
    monkeypatch.setattr(tool, 'mmcv_rows', lambda args: [failing])
    monkeypatch.setattr(sys, 'argv', ['gpu_check.py', '--device', 'cpu', '--short', '--checks',
                                      'mmcv', '--work-dir', str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        tool.main()
    assert exit_info.value.code == 1
    assert json.loads((tmp_path / 'gpu_check.json').read_text())['rows'] == [failing]
    assert capsys.readouterr().out.splitlines()[-1] == (
        '1 of 1 checks did not pass: Mask R-CNN test (cpu) mask-rcnn.py fp32: FAIL')


def test_the_cpu_mode_on_a_cuda_machine_runs_again_with_cuda_hidden(monkeypatch, tmp_path):
    """mmengine trains on CUDA wherever there is one: --device cpu there
    replaces the process with itself, CUDA hidden (os.execve, recorded here)."""
    spec = importlib.util.spec_from_file_location('gpu_check_tool', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    argv = ['gpu_check.py', '--device', 'cpu', '--short', '--work-dir', str(tmp_path)]
    monkeypatch.setattr(sys, 'argv', argv)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)

    def execve(path, args, environment):
        raise SystemExit((path, args, environment['CUDA_VISIBLE_DEVICES']))
    monkeypatch.setattr(tool.os, 'execve', execve)
    with pytest.raises(SystemExit) as exit_info:
        tool.main()
    assert exit_info.value.code == (sys.executable, [sys.executable, str(TOOL), *argv[1:]], '')

"""tools/train.py on the tiny ETRIS: a resumed run equals an uninterrupted
one, and bad input ends in one line."""
import json
import re
import shutil

import pytest
import torch
from mmengine.device import get_device

from mmris.engine import safe_load


def _losses(work_dir) -> dict:
    """{iteration: loss} from the scalars an mmengine run logged."""
    losses = {}
    for path in work_dir.glob('*/vis_data/scalars.json'):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if 'loss' in record:
                losses[record['step']] = record['loss']
    return losses


def _assert_same_training_state(path_a, path_b):
    a, b = safe_load(str(path_a)), safe_load(str(path_b))
    assert a['meta']['iter'] == b['meta']['iter'] and a['meta']['epoch'] == b['meta']['epoch']
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    adam_a, adam_b = a['optimizer']['state'], b['optimizer']['state']
    assert adam_a.keys() == adam_b.keys() and adam_a
    for index, state in adam_a.items():
        for name in ('step', 'exp_avg', 'exp_avg_sq'):
            assert torch.equal(torch.as_tensor(state[name]), torch.as_tensor(adam_b[index][name]))
    assert [group['lr'] for group in a['optimizer']['param_groups']] == \
        [group['lr'] for group in b['optimizer']['param_groups']]
    assert a['param_schedulers'] == b['param_schedulers']


def test_resumed_runs_equal_an_uninterrupted_one(etris_config, trained_etris, run_tool,
                                                 schedule_options, tmp_path):
    straight, explicit = tmp_path / 'straight', tmp_path / 'explicit'
    result = run_tool('train.py', etris_config, '--work-dir', straight, *schedule_options(2))
    assert result.returncode == 0, result.stdout[-3000:]

    # --resume CHECKPOINT: epoch 1 of the same schedule, trained in another work dir.
    result = run_tool('train.py', etris_config, '--work-dir', explicit, '--resume',
                      trained_etris / 'epoch_1.pth', *schedule_options(2))
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'resumed epoch: 1, iter: 2' in result.stdout
    assert 'Epoch(train) [1]' not in result.stdout

    # --resume: the latest checkpoint of the work dir.
    auto = tmp_path / 'auto'
    shutil.copytree(trained_etris, auto)
    result = run_tool('train.py', etris_config, '--work-dir', auto, '--resume',
                      *schedule_options(2))
    assert result.returncode == 0, result.stdout[-3000:]
    assert '--resume: resuming from the latest checkpoint of' in result.stdout

    reference = _losses(straight)
    assert sorted(reference) == [1, 2, 3, 4]
    assert _losses(trained_etris) == {step: reference[step] for step in (1, 2)}
    for work_dir in (explicit, auto):
        # The iterations after the resume: the same losses, bit for bit ...
        assert {step: loss for step, loss in _losses(work_dir).items() if step > 2} == \
            {3: reference[3], 4: reference[4]}
        # ... and the same weights, Adam moments and steps, and schedule.
        _assert_same_training_state(straight / 'epoch_2.pth', work_dir / 'epoch_2.pth')
    lr = safe_load(str(straight / 'epoch_2.pth'))['optimizer']['param_groups'][0]['lr']
    assert lr == pytest.approx(1e-5)  # the drop after epoch 1 took place


def test_resume_with_nothing_to_resume_keeps_load_from(etris_config, trained_etris, run_tool,
                                                       schedule_options, tmp_path):
    """A job script that always passes --resume: the first run, in an empty
    work dir, starts from the config's load_from, as it would without it."""
    start = trained_etris / 'epoch_1.pth'
    result = run_tool('train.py', etris_config, '--work-dir', tmp_path / 'work', '--resume',
                      *schedule_options(1), f'load_from={start}')
    assert result.returncode == 0, result.stdout[-3000:]
    assert f'no checkpoint in {tmp_path / "work"} yet; training starts from {start}' in \
        result.stdout
    assert f'Load checkpoint from {start}' in result.stdout
    assert 'resumed epoch' not in result.stdout


def test_damaged_checkpoints_end_in_one_line(etris_config, trained_etris, run_tool, tmp_path):
    data = (trained_etris / 'epoch_1.pth').read_bytes()
    damaged = tmp_path / 'damaged.pth'
    damaged.write_bytes(data[:len(data) // 2])
    for options in (['--resume', damaged], ['--cfg-options', f'load_from={damaged}']):
        result = run_tool('train.py', etris_config, '--work-dir', tmp_path / 'work', *options)
        assert result.returncode == 2, result.stdout[-3000:]
        # the line names the file and, in brackets, the option that gave it
        assert re.match(rf"error: checkpoint '{re.escape(str(damaged))}' "
                        r"(\(.+\) )?could not be read", result.last_line), result.last_line
        assert 'Traceback' not in result.stdout

    work_dir = tmp_path / 'auto'
    shutil.copytree(trained_etris, work_dir)
    (work_dir / 'epoch_1.pth').write_bytes(data[:100])
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    result = run_tool('train.py', etris_config, '--work-dir', work_dir, '--resume')
    assert result.returncode == 2
    assert re.match(rf"error: checkpoint '{re.escape(str(work_dir / 'epoch_1.pth'))}' "
                    r"(\(.+\) )?could not be read", result.last_line), result.last_line


def test_missing_config(run_tool, tmp_path):
    result = run_tool('train.py', 'configs/no_such_config.py', '--work-dir', tmp_path)
    assert result.returncode == 2
    assert result.last_line.startswith("error: config file 'configs/no_such_config.py' "
                                       'does not exist')


@pytest.mark.parametrize('option,message', [
    ('train_cfg.max_epochz=3', "'train_cfg' has no 'max_epochz'; did you mean 'max_epochs'?"),
    ('trian_cfg.max_iters=20', "the config has no 'trian_cfg'; did you mean 'train_cfg'"),
])
def test_misspelt_cfg_options_key(etris_config, run_tool, tmp_path, option, message):
    result = run_tool('train.py', etris_config, '--work-dir', tmp_path / 'work',
                      '--cfg-options', option)
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: bad --cfg-options key '{option.split('=')[0]}'")
    assert message in result.last_line
    assert f'+{option.split("=")[0]}=' in result.last_line  # how to add it on purpose
    assert not (tmp_path / 'work').exists()  # nothing was started


def test_unwritable_work_dir(etris_config, run_tool, tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    result = run_tool('train.py', etris_config, '--work-dir', blocker / 'work')
    assert result.returncode == 2
    assert result.last_line == f"error: --work-dir '{blocker / 'work'}' cannot be a folder: " \
                               f"'{blocker}' is a file; pick a folder you can write to"


def test_missing_resume_checkpoint(etris_config, run_tool, tmp_path):
    result = run_tool('train.py', etris_config, '--work-dir', tmp_path,
                      '--resume', tmp_path / 'epoch_9.pth')
    assert result.returncode == 2
    assert 'epoch_9.pth' in result.last_line and 'does not exist' in result.last_line


@pytest.mark.skipif(get_device() != 'cpu', reason='checks AMP on a CPU')
def test_amp_on_cpu_is_bf16_autocast_where_supported(etris_config, run_tool, tmp_path):
    from mmris.utils.precision import cpu_supports_bf16
    result = run_tool('train.py', etris_config, '--amp', '--work-dir', tmp_path,
                      '--cfg-options', 'train_cfg.max_epochs=1')
    if cpu_supports_bf16():
        assert result.returncode == 0, result.stdout[-3000:]
        assert 'AMP runs as bf16 autocast without a loss scaler' in result.stdout
        assert (tmp_path / 'epoch_1.pth').is_file()
    else:
        assert result.returncode == 2
        assert result.last_line.startswith('error: --amp needs a GPU (or NPU/MLU/MUSA) or a CPU '
                                           'with native bf16')

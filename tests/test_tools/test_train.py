"""tools/train.py: an interrupted run resumed, and bad input."""
import pytest
from mmengine.device import get_device

from mmris.engine import safe_load


def _state(checkpoint_path):
    """Iteration, Adam step counts, scheduler step and lr of a checkpoint."""
    checkpoint = safe_load(str(checkpoint_path), map_location='cpu')
    adam_steps = {float(state['step']) for state in checkpoint['optimizer']['state'].values()}
    return dict(
        iteration=checkpoint['meta']['iter'],
        adam_steps=adam_steps,
        scheduler_step=checkpoint['param_schedulers'][0]['last_step'],
        lr=checkpoint['optimizer']['param_groups'][0]['lr'])


def test_resume_continues_iteration_optimizer_and_schedule(demo_config, run_tool, demo_options, tmp_path):
    straight, interrupted = tmp_path / 'straight', tmp_path / 'interrupted'
    result = run_tool('train.py', demo_config, '--work-dir', straight,
                      *demo_options(max_iters=6, interval=3))
    assert result.returncode == 0, result.stdout[-3000:]

    # The same schedule, stopped after 3 iterations ...
    result = run_tool('train.py', demo_config, '--work-dir', interrupted,
                      *demo_options(max_iters=3, interval=3, schedule_end=6))
    assert result.returncode == 0, result.stdout[-3000:]
    assert _state(interrupted / 'iter_3.pth')['iteration'] == 3
    # ... then resumed from the latest checkpoint in its work dir.
    result = run_tool('train.py', demo_config, '--work-dir', interrupted, '--resume',
                      *demo_options(max_iters=6, interval=3))
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'resumed epoch: 0, iter: 3' in result.stdout
    assert 'Iter(train) [4/6]' in result.stdout and 'Iter(train) [1/6]' not in result.stdout

    resumed, reference = _state(interrupted / 'iter_6.pth'), _state(straight / 'iter_6.pth')
    assert resumed['iteration'] == reference['iteration'] == 6
    assert resumed['adam_steps'] == reference['adam_steps'] == {6.0}
    assert resumed['scheduler_step'] == reference['scheduler_step']
    assert resumed['lr'] == reference['lr'] < 3e-3


def test_resume_from_an_explicit_checkpoint(demo_config, run_tool, demo_options, tmp_path):
    first, second = tmp_path / 'first', tmp_path / 'second'
    result = run_tool('train.py', demo_config, '--work-dir', first,
                      *demo_options(max_iters=2, interval=2, schedule_end=4))
    assert result.returncode == 0, result.stdout[-3000:]
    result = run_tool('train.py', demo_config, '--work-dir', second,
                      '--resume', first / 'iter_2.pth', *demo_options(max_iters=4, interval=4))
    assert result.returncode == 0, result.stdout[-3000:]
    assert _state(second / 'iter_4.pth')['adam_steps'] == {4.0}


def test_missing_config(run_tool, tmp_path):
    result = run_tool('train.py', 'configs/no_such_config.py', '--work-dir', tmp_path)
    assert result.returncode == 2
    assert result.last_line.startswith("error: config file 'configs/no_such_config.py' "
                                       'does not exist')


def test_bad_cfg_options_key(demo_config, run_tool, tmp_path):
    result = run_tool('train.py', demo_config, '--work-dir', tmp_path,
                      '--cfg-options', 'train_cfg.max_iterz=3')
    assert result.returncode == 2
    assert "bad --cfg-options key 'train_cfg.max_iterz'" in result.last_line
    assert "did you mean 'max_iters'" in result.last_line
    assert not any(tmp_path.iterdir())  # nothing was started


def test_missing_resume_checkpoint(demo_config, run_tool, tmp_path):
    result = run_tool('train.py', demo_config, '--work-dir', tmp_path,
                      '--resume', tmp_path / 'iter_9.pth')
    assert result.returncode == 2
    assert 'iter_9.pth' in result.last_line and 'does not exist' in result.last_line


@pytest.mark.skipif(get_device() != 'cpu', reason='checks AMP on a CPU')
def test_amp_on_cpu_is_bf16_autocast_where_supported(demo_config, demo_options, run_tool,
                                                      tmp_path):
    from mmris.utils.precision import cpu_supports_bf16
    result = run_tool('train.py', demo_config, '--amp', '--work-dir', tmp_path,
                      *demo_options(max_iters=2, interval=2))
    if cpu_supports_bf16():
        assert result.returncode == 0, result.stdout[-3000:]
        assert 'AMP runs as bf16 autocast without a loss scaler' in result.stdout
        assert (tmp_path / 'iter_2.pth').is_file()
    else:
        assert result.returncode == 2
        assert result.last_line.startswith('error: --amp needs a GPU (or NPU/MLU/MUSA) or a CPU '
                                           'with native bf16')

"""tools/dist_train.sh and dist_test.sh with 2 processes on this machine."""
import socket
import torch

from mmris.engine import safe_load


def _free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def test_two_process_train_then_test(demo_config, run_tool, demo_options, tmp_path):
    backend = 'nccl' if torch.cuda.is_available() else 'gloo'
    work_dir = tmp_path / 'work'
    result = run_tool('dist_train.sh', demo_config, 2, '--work-dir', work_dir,
                      *demo_options(max_iters=4, interval=4), env=dict(PORT=_free_port()))
    assert result.returncode == 0, result.stdout[-4000:]
    assert f'distributed run: world size 2, backend {backend}' in result.stdout
    assert 'rank 0@' in result.stdout and 'rank 1@' in result.stdout
    assert 'Iter(train) [4/4]' in result.stdout

    checkpoint = safe_load(str(work_dir / 'iter_4.pth'), map_location='cpu')
    assert checkpoint['meta']['iter'] == 4
    # DDP's 'module.' prefix is stripped when the Runner saves.
    assert all(not key.startswith('module.') for key in checkpoint['state_dict'])

    result = run_tool('dist_test.sh', demo_config, work_dir / 'iter_4.pth', 2,
                      '--work-dir', work_dir, *demo_options(max_iters=4, interval=4),
                      env=dict(PORT=_free_port()))
    assert result.returncode == 0, result.stdout[-4000:]
    assert 'distributed run: world size 2' in result.stdout
    assert 'mIoU' in result.stdout

"""Fixtures shared by the tests: the repository, a generated data set, and
running the command-line tools the way a user does."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / 'configs' / 'demo' / 'tiny_unet_synthetic_shapes.py'


@pytest.fixture
def free_port():
    """A function returning a TCP port free on 127.0.0.1 right now, as a str."""

    def port() -> str:
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            return str(sock.getsockname()[1])

    return port


@pytest.fixture(scope='session')
def demo_config():
    """Path of the demo config, the tiny model the tool tests train."""
    return str(DEMO_CONFIG)


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory):
    """A small synthetic shapes set (16 train, 4 val images of 32x32)."""
    from mmris.datasets import generate_synthetic_shapes
    root = tmp_path_factory.mktemp('synthetic_shapes')
    generate_synthetic_shapes(str(root), num_train=16, num_val=4, size=32, seed=0)
    return root


@pytest.fixture
def demo_options(shapes_root):
    """``--cfg-options`` that point the demo config at ``shapes_root`` and
    shorten its schedule to ``max_iters`` with a checkpoint every ``interval``."""

    def options(max_iters: int, interval: int, schedule_end: int = None) -> list:
        return [
            '--cfg-options',
            *(f'{loader}.dataset.data_root={shapes_root}'
              for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')),
            f'train_cfg.max_iters={max_iters}',
            f'train_cfg.val_interval={max_iters}',
            f'param_scheduler.0.end={schedule_end or max_iters}',
            f'default_hooks.checkpoint.interval={interval}',
            'default_hooks.logger.interval=1',
            'train_dataloader.batch_size=4',
        ]

    return options


@pytest.fixture
def run_tool():
    """Run ``python tools/<script>`` (or ``bash tools/<script>.sh``) from the
    repository root, as a user would. Returns the CompletedProcess with
    stdout and stderr merged in ``.stdout`` and its last non-empty line in
    ``.last_line``."""

    def run(script: str, *args, env: dict = None, timeout: int = 600):
        command = (['bash', str(REPO / 'tools' / script)] if script.endswith('.sh') else
                   [sys.executable, str(REPO / 'tools' / script)])
        full_env = dict(os.environ, PYTHON=sys.executable, PYTHONUNBUFFERED='1', **(env or {}))
        result = subprocess.run([*command, *map(str, args)], cwd=REPO, env=full_env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=timeout)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        result.last_line = lines[-1] if lines else ''
        return result

    return run


"""Fixtures for every test folder (tests/ and the projects' tests): the
default registry scope, free ports, and running the command-line tools the
way a user does."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / 'tests'))  # tests/mmris_fixtures, for the projects' tests too
from mmris_fixtures.warm_python import warm_python_executable  # noqa: E402


@pytest.fixture(autouse=True, scope='session')
def mmris_default_scope():
    """Build from mmris' registries by default, as the tools and configs do."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmris')


@pytest.fixture(autouse=True)
def restore_default_scope():
    """A test that builds an mmdet- or mmseg-scoped config (mmengine makes its
    scope the current one) leaves the next test in mmris' scope."""
    from mmengine.registry import DefaultScope
    scopes = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = scopes


@pytest.fixture
def free_port():
    """A function returning a TCP port free on 127.0.0.1 right now, as a str."""

    def port() -> str:
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            return str(sock.getsockname()[1])

    return port


def run_tool_process(script: str, *args, env: dict = None, timeout: int = 600,
                     cwd: Path = REPO):
    """Run ``python tools/<script>`` (or ``bash tools/<script>.sh``) from the
    repository root (or ``cwd``), as a user would; a ``script`` not under
    ``tools/`` is a path from the repository root (a project's tool). Returns
    the CompletedProcess with stdout and stderr merged in ``.stdout`` and its
    last non-empty line in ``.last_line``."""
    path = REPO / 'tools' / script
    path = path if path.exists() else REPO / script
    # The tools start forked from an interpreter that has imported torch and
    # the OpenMMLab stack (tests/mmris_fixtures/warm_python.py).
    python = warm_python_executable()
    command = ['bash', str(path)] if script.endswith('.sh') else [python, str(path)]
    full_env = dict(os.environ, PYTHON=python, PYTHONUNBUFFERED='1', **(env or {}))
    result = subprocess.run([*command, *map(str, args)], cwd=cwd, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=timeout)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    result.last_line = lines[-1] if lines else ''
    return result


@pytest.fixture(scope='session')
def run_tool():
    """The function :func:`run_tool_process`."""
    return run_tool_process

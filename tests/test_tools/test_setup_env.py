"""tools/setup_env.sh reuses what is there: the venv's packages, then the
cached mmcv wheel when the venv needs mmcv again."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[2] / 'tools' / 'setup_env.sh'
BUILD_KEY = Path(sys.prefix) / '.mmcv-build-key'

pytestmark = pytest.mark.skipif(not BUILD_KEY.is_file(),
                                reason='needs the venv made by tools/setup_env.sh')


def _setup(**env) -> str:
    """Run setup_env.sh (on this venv unless MMRIS_VENV is given); its output."""
    result = subprocess.run(['bash', str(SETUP)],
                            env={**os.environ, 'MMRIS_VENV': sys.prefix, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'building mmcv' not in result.stdout
    assert 'installing torch' not in result.stdout
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.startswith('[setup_env] ready: mmris 0.1.0 mmcv 2.1.0')
    return result.stdout


def test_second_run_rebuilds_nothing():
    assert 'reusing the mmcv wheel' not in _setup()


def test_venv_needing_mmcv_again_takes_the_cached_wheel():
    key = BUILD_KEY.read_text()
    BUILD_KEY.write_text('a build this venv does not hold\n')
    try:
        assert 'reusing the mmcv wheel cached in' in _setup()
    finally:
        assert BUILD_KEY.read_text() == key


def test_new_venv_reuses_an_importable_torch_and_the_cached_mmcv(tmp_path):
    venv = tmp_path / 'venv'
    output = _setup(PYTHON=sys.executable, MMRIS_VENV=str(venv))
    assert 'reusing the torch in' in output
    assert 'reusing the mmcv wheel cached in' in output
    where = subprocess.run(
        [str(venv / 'bin' / 'python'), '-c', 'import torch, mmcv; print(torch.__file__); '
         'print(mmcv.__file__)'], capture_output=True, text=True, check=True).stdout.split()
    assert where[0].startswith(sys.prefix)  # the torch of the interpreter that made it
    assert where[1].startswith(str(venv))  # mmcv installed into the new venv
    # A consistent venv, and nothing alarming said on the way.
    assert 'ERROR' not in output
    check = subprocess.run([str(venv / 'bin' / 'python'), '-m', 'pip', 'check'],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout

"""tools/setup_env.sh reuses what is there: an importable torch and the
cached mmcv wheel for a new venv, the venv's packages on a second run, and
the cached wheel again when the venv needs mmcv again.

Every run here is on a venv of this module's own (made once, from the
running interpreter), never on the venv the suite runs in: reinstalling
mmcv there would pull it from under tests running beside these ones
(``make test`` runs files in parallel processes)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[2] / 'tools' / 'setup_env.sh'

pytestmark = pytest.mark.skipif(not (Path(sys.prefix) / '.mmcv-build-key').is_file(),
                                reason='needs the venv made by tools/setup_env.sh (its mmcv '
                                'wheel is cached)')


def _setup(venv: Path, **env) -> str:
    """Run setup_env.sh on ``venv`` (made from the running interpreter when
    missing); its output, after checking it built nothing and ended ready."""
    result = subprocess.run(['bash', str(SETUP)],
                            env={**os.environ, 'PYTHON': sys.executable,
                                 'MMRIS_VENV': str(venv), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'building mmcv' not in result.stdout
    assert 'installing torch' not in result.stdout
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.startswith('[setup_env] ready: mmris 0.1.0 mmcv 2.1.0')
    return result.stdout


@pytest.fixture(scope='module')
def new_venv(tmp_path_factory):
    """A venv made by setup_env.sh, and what it printed making it."""
    venv = tmp_path_factory.mktemp('setup_env') / 'venv'
    return venv, _setup(venv)


def test_new_venv_reuses_an_importable_torch_and_the_cached_mmcv(new_venv):
    venv, output = new_venv
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


def test_second_run_rebuilds_nothing(new_venv):
    venv, _ = new_venv
    assert 'reusing the mmcv wheel' not in _setup(venv)


def test_venv_needing_mmcv_again_takes_the_cached_wheel(new_venv):
    venv, _ = new_venv
    key_file = venv / '.mmcv-build-key'
    key = key_file.read_text()
    key_file.write_text('a build this venv does not hold\n')
    assert 'reusing the mmcv wheel cached in' in _setup(venv)
    assert key_file.read_text() == key

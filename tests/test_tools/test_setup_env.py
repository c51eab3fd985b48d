"""tools/setup_env.sh on a ready environment reuses everything, mmcv included."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[2] / 'tools' / 'setup_env.sh'


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason='needs to run inside a venv')
def test_second_run_rebuilds_nothing():
    result = subprocess.run(['bash', str(SETUP)], env=dict(os.environ, MMRIS_VENV=sys.prefix),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'building mmcv' not in result.stdout
    assert 'installing torch' not in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith('[setup_env] ready: mmris 0.1.0 mmcv 2.1.0')

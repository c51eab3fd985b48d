"""setup.py builds a wheel that carries every config and tool in mmris/.mim."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def copy_checkout(target: Path) -> list:
    """Copy the files git would commit (tracked, or new and not ignored) to
    ``target``, links as links; return their paths relative to the root."""
    listing = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'],
                             cwd=REPO, capture_output=True, text=True)
    if listing.returncode != 0:
        pytest.skip(f'not a git checkout: {listing.stderr.strip()}')
    paths = [path for path in listing.stdout.split('\0') if path and os.path.lexists(REPO / path)]
    for path in paths:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, target / path, follow_symlinks=False)
    return paths


def test_wheel_ships_configs_tools_and_model_index(tmp_path):
    source, dist = tmp_path / 'source', tmp_path / 'dist'
    paths = copy_checkout(source)
    result = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
                             '--no-index', '-q', '-w', str(dist), str(source)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    wheel, = dist.glob('mmris-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())

    shipped = {f'mmris/.mim/{path}' for path in paths if path.startswith(('configs/', 'tools/'))}
    assert any(name.endswith('.py') for name in shipped)
    assert shipped | {'mmris/.mim/model-index.yml', 'mmris/config_package.py'} <= names
    assert not [name for name in names if '__pycache__' in name or name.startswith(
        ('configs/', 'tools/', 'tests/', 'projects/'))]

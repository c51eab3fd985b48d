"""Importing mmris checks the versions of the OpenMMLab stack; the
requirements, that check and the docs state the same ranges."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import mmris

REPO = Path(__file__).resolve().parents[1]


def test_version_is_exposed():
    assert mmris.__version__ == '0.1.0'


@pytest.mark.parametrize('dist,version,wanted', [
    ('mmcv', '2.2.0', 'mmcv>=2.0.0rc4,<2.2.0'),
    ('mmsegmentation', '1.1.0', 'mmsegmentation>=1.2.2,<1.3.0'),
    ('mmdet', '3.0.0', 'mmdet>=3.3.0,<3.4.0'),
])
def test_unsupported_version_fails_with_what_to_install(tmp_path, dist, version, wanted):
    # Metadata placed first on sys.path shadows the installed distribution.
    info = tmp_path / f'{dist}-{version}.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n')
    result = subprocess.run([sys.executable, '-c', 'import mmris'], capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert f'{dist} {version} is installed, but mmris needs {wanted}' in last_line
    assert 'tools/setup_env.sh' in last_line


def test_check_reports_every_missing_package(monkeypatch):
    from importlib import metadata

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, 'version', not_installed)
    with pytest.raises(ImportError) as error:
        mmris.check_dependency_versions()
    for dist in mmris.SUPPORTED_VERSIONS:
        assert f'{dist} is not installed' in str(error.value)


def test_requirements_the_check_and_the_docs_agree():
    lines = (REPO / 'requirements' / 'runtime.txt').read_text().splitlines()
    listed = {}
    for line in lines:
        text = line.split('#', 1)[1].strip() if line.startswith('#') else line.strip()
        for word in text.split():
            if word.startswith(tuple(mmris.SUPPORTED_VERSIONS)) and '>=' in word:
                requirement = Requirement(word)
                listed[requirement.name] = requirement.specifier
    docs = (REPO / 'docs' / 'installation.md').read_text()
    for dist in mmris.SUPPORTED_VERSIONS:
        wanted = Requirement(mmris.requirement(dist))
        assert listed[dist] == wanted.specifier, dist  # installed (or named) in requirements
        assert f'`{mmris.requirement(dist)}`' in docs, dist

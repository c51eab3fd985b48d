"""Importing mmris checks the versions of the OpenMMLab stack."""
import os
import subprocess
import sys

import pytest

import mmris


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

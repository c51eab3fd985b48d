"""mmris: parameter-efficient referring image segmentation on OpenMMLab.

Importing mmris checks first that the OpenMMLab packages it builds on are
installed in a supported version, so a wrong stack fails here with a message
that says what to install, rather than deep inside mmseg or mmcv. It then
lets mmengine configs inherit mmris' as ``mmris::<folder>/<file>.py``
(see :mod:`mmris.config_package`), and makes mmengine parse each YAML text
once per process (:mod:`mmris.yaml_parse_cache`: resolving a config's
``mmseg::`` and ``mmdet::`` bases parses their packages' metafiles again
for each base).
"""
from importlib import metadata

from packaging.version import Version

from .version import __version__

# distribution name -> (minimum version, first unsupported version or None);
# requirements/runtime.txt and docs/installation.md state the same ranges.
SUPPORTED_VERSIONS = {
    'torch': ('2.5.0', None),
    'mmengine': ('0.10.0', '0.11.0'),
    'mmcv': ('2.0.0rc4', '2.2.0'),
    'mmsegmentation': ('1.2.2', '1.3.0'),
    'mmdet': ('3.3.0', '3.4.0'),
}
_HOW_TO_INSTALL = ('Run `bash tools/setup_env.sh` (or `make test`) from the mmris '
                   'checkout: it installs a supported stack into .venv and builds '
                   'mmcv with its compiled ops.')


def requirement(dist: str) -> str:
    """``dist``'s supported range as a requirement, e.g. ``mmdet>=3.3.0,<3.4.0``."""
    low, high = SUPPORTED_VERSIONS[dist]
    return f'{dist}>={low}' + (f',<{high}' if high else '')


def check_dependency_versions() -> None:
    """Raise ImportError naming every missing or out-of-range dependency."""
    problems = []
    for dist, (low, high) in SUPPORTED_VERSIONS.items():
        try:
            found = metadata.version(dist)
        except metadata.PackageNotFoundError:
            problems.append(f'{dist} is not installed (need {requirement(dist)})')
            continue
        if Version(found) < Version(low) or (high and Version(found) >= Version(high)):
            problems.append(f'{dist} {found} is installed, but mmris needs {requirement(dist)}')
    if problems:
        raise ImportError('mmris cannot run with this environment: ' + '; '.join(problems) +
                          '. ' + _HOW_TO_INSTALL)


check_dependency_versions()

from .config_package import register_config_package  # noqa: E402

register_config_package()

from .yaml_parse_cache import register_yaml_parse_cache  # noqa: E402

register_yaml_parse_cache()

__all__ = ['__version__', 'check_dependency_versions', 'requirement']

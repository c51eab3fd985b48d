"""Install mmris: ``pip install -e .`` (tools/setup_env.sh does it for you),
or build a wheel: ``pip wheel . --no-deps`` or ``python -m build --wheel``.

torch and mmcv are deliberately not in install_requires: mmris reuses the
torch that is installed, and mmcv must be built with its compiled ops (see
tools/setup_env.sh), which a plain dependency on it would not do.

Configs and tools travel inside the package, in ``mmris/.mim/`` as in
mmseg and mmdet, where mmengine finds ``mmris::`` configs and openmim
finds ``tools/train.py`` and ``tools/test.py``. The repository commits
``mmris/.mim/configs``, ``mmris/.mim/tools`` and
``mmris/.mim/model-index.yml`` as links to the top-level ``configs/``,
``tools/`` and ``model-index.yml``: an editable install sees the checkout's
files through them, and a wheel gets copies of every file they lead to.
"""
import os
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/<name>.txt, without comments."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def mim_files() -> list:
    """Every file under mmris/.mim (following its links), relative to
    mmris/, without Python caches."""
    package = osp.join(HERE, 'mmris')
    files = []
    for folder, subfolders, names in os.walk(osp.join(package, '.mim'), followlinks=True):
        subfolders[:] = [name for name in subfolders if name != '__pycache__']
        files += [osp.relpath(osp.join(folder, name), package) for name in names]
    return sorted(files)


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(HERE, 'mmris', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mmris',
    version=read_version(),
    description='Parameter-efficient referring image segmentation (ETRIS) on OpenMMLab',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects')),
    package_data={'mmris': mim_files()},
    python_requires='>=3.10',
    install_requires=read_requirements('runtime'),
    extras_require=dict(tests=read_requirements('tests'), optional=read_requirements('optional'),
                        deploy=read_requirements('deploy')),
    zip_safe=False)

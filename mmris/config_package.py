"""mmris' configs as an mmengine config package: ``mmris::`` references.

A config anywhere, in this repository or in a user's own folder, can
inherit ours the way OpenMMLab configs inherit mmseg's::

    _base_ = ['mmris::etris/vitb_refcoco.py']           # configs/etris/vitb_refcoco.py
    _base_ = ['mmris::_base_/datasets/refcoco.py']      # configs/_base_/datasets/refcoco.py

once mmris is imported (``tools/train.py`` and ``tools/test.py`` import it;
a script of one's own does ``import mmris`` before ``Config.fromfile``).

How mmengine resolves ``<scope>::<path>`` (``Config._get_cfg_path`` with
``_get_package_and_cfg_path``, ``_get_external_cfg_path`` and
``_get_external_cfg_base_path`` of ``mmengine/config/utils.py``):

1. ``<scope>`` must be a key of ``mmengine.config.utils.MODULE2PACKAGE``, a
   fixed table of OpenMMLab projects; any other scope fails with
   ``AssertionError: mmengine does not support to load <scope> config``.
   mmengine offers no other way to add a package (no entry point, no
   function), so :func:`register_config_package` adds ``mmris`` to that
   table, mapped to its distribution name. Checked in mmengine 0.10.0 to
   0.10.7 (the versions mmris supports) and on its main branch
   (0.11.0rc0): the table, the assertion and steps 2-3 are the same.
2. The distribution's metadata gives the installed package folder
   (``mmengine.utils.get_installed_path``).
3. mmengine loads ``<package>/.mim/model-index.yml`` and the metafiles it
   imports (so they must exist), then reads ``<package>/.mim/configs/<path>``,
   raising ``FileNotFoundError('file "<that path>" does not exist')`` when
   it is missing.

``mmris/.mim/`` holds ``configs``, ``tools`` and ``model-index.yml``: in
the repository they are links to the top-level folders and file, and
setup.py copies what they hold into a built wheel.
"""
from pathlib import Path

from mmengine.config.utils import MODULE2PACKAGE

#: The configs that ``mmris::`` references resolve to: the installed
#: package's ``.mim/configs``, i.e. the repository's ``configs/`` in a checkout.
CONFIG_ROOT = (Path(__file__).parent / '.mim' / 'configs').resolve()


def register_config_package() -> None:
    """Let mmengine resolve ``mmris::`` config references (see the module
    docstring for why this edits mmengine's table)."""
    MODULE2PACKAGE['mmris'] = 'mmris'

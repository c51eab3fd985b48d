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
   table.
2. ``mmengine.utils.is_installed`` and ``get_installed_path`` turn the
   table's value into the package folder: through the distribution of that
   name (``pkg_resources``: its metadata's location joined with the name),
   or, where no distribution has the name, through
   ``importlib.util.find_spec(name).origin``.
3. mmengine loads ``<folder>/.mim/model-index.yml`` and the metafiles it
   imports (so they must exist), then reads ``<folder>/.mim/configs/<path>``,
   raising ``FileNotFoundError('file "<that path>" does not exist')`` when
   it is missing.

Checked in mmengine 0.10.0 to 0.10.7 (the versions mmris supports) and on
its main branch (0.11.0rc0, which finds distributions with
``importlib.metadata`` instead): steps 1-3 are the same.

The table's value is :data:`CONFIG_PACKAGE_MODULE`, this module's name,
rather than the distribution name ``mmris``. Through the distribution,
step 2 gives ``<where the metadata is>/mmris``, which is the package only
where the package sits beside its metadata (a wheel, or a legacy
``setup.py develop``). An editable install made through PEP 660 (every
``pip install -e`` from pip 25.3 on) keeps the metadata in site-packages
and the package in the checkout, so that folder does not exist. No
distribution is named ``mmris.config_package``, so mmengine takes the
folder of this module's file, which is the imported mmris package in
every kind of install, and in a checkout that is only on ``PYTHONPATH``.

``mmris/.mim/`` holds ``configs``, ``tools`` and ``model-index.yml``: in
the repository they are links to the top-level folders and file, and
setup.py copies what they hold into a built wheel.
"""
from pathlib import Path

from mmengine.config.utils import MODULE2PACKAGE

#: The configs that ``mmris::`` references resolve to: the installed
#: package's ``.mim/configs``, i.e. the repository's ``configs/`` in a checkout.
CONFIG_ROOT = (Path(__file__).parent / '.mim' / 'configs').resolve()


#: What mmengine's table maps ``mmris`` to: a module whose file lies in the
#: mmris package folder and that no distribution is named after.
CONFIG_PACKAGE_MODULE = __name__


def register_config_package() -> None:
    """Let mmengine resolve ``mmris::`` config references (see the module
    docstring for why this edits mmengine's table, and with what value)."""
    MODULE2PACKAGE['mmris'] = CONFIG_PACKAGE_MODULE

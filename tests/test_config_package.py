"""``mmris::`` config references resolve from any folder, reach every config
folder, and name a missing config; the metafiles mmengine and openmim read
exist."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config

from mmris.config_package import CONFIG_ROOT
from mmris.utils import UsageError, load_config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
CONFIG_FOLDERS = sorted({str(path.parent.relative_to(CONFIGS)) for path in CONFIGS.rglob('*.py')})


def without_scope(value):
    """``value`` without the ``_scope_`` keys mmengine adds to what a
    ``scope::`` base config (``mmris::``, ``mmseg::``, ...) defines."""
    if isinstance(value, dict):
        return {key: without_scope(item) for key, item in value.items() if key != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(without_scope(item) for item in value)
    return value


def inherit(folder: Path, base: str, body: str = '') -> str:
    """Write ``folder/user_config.py`` inheriting ``base``; return its path."""
    path = folder / 'user_config.py'
    path.write_text(f'_base_ = [{base!r}]\n{body}')
    return str(path)


def test_config_root_is_the_repository_configs():
    assert CONFIG_ROOT == CONFIGS.resolve()


def test_resolves_from_a_temporary_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(inherit(tmp_path, 'mmris::etris/vitb_refcoco.py',
                                  'train_cfg = dict(max_epochs=3)\n'))
    direct = Config.fromfile(str(CONFIGS / 'etris' / 'vitb_refcoco.py'))
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.default_scope == 'mmris'
    assert without_scope(cfg.model.to_dict()) == direct.model.to_dict()
    assert without_scope(cfg.train_dataloader.to_dict()) == direct.train_dataloader.to_dict()
    assert cfg.model.backbone.vision_encoder.width == 768
    assert cfg.train_dataloader.dataset.split_file == 'refcoco/refs(unc).p'


def test_base_files_resolve_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(inherit(tmp_path, 'mmris::_base_/models/etris_rn50.py'))
    direct = Config.fromfile(str(CONFIGS / '_base_' / 'models' / 'etris_rn50.py'))
    assert without_scope(cfg.model.to_dict()) == direct.model.to_dict()


@pytest.mark.parametrize('folder', CONFIG_FOLDERS)
def test_every_config_folder_is_reachable(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in sorted((CONFIGS / folder).glob('*.py')):
        reference = f'mmris::{folder}/{path.name}'
        cfg = Config.fromfile(inherit(tmp_path, reference))
        direct = Config.fromfile(str(path))
        assert without_scope(cfg.to_dict()) == without_scope(direct.to_dict()), reference


def test_missing_config_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    user_config = inherit(tmp_path, 'mmris::etris/no_such_config.py')
    with pytest.raises(FileNotFoundError, match='configs/etris/no_such_config.py" does not exist'):
        Config.fromfile(user_config)
    # The tools' loader adds which config asked for it.
    with pytest.raises(UsageError, match=r"config file '.*user_config.py' could not be read: "
                                         r'.*etris/no_such_config.py" does not exist'):
        load_config(user_config)


def test_a_script_that_imports_mmris_resolves(tmp_path):
    # mmris' metadata first on sys.path, in a folder without the package, as
    # an editable install through PEP 660 leaves it (metadata in
    # site-packages, package in the checkout).
    info = tmp_path / 'metadata' / 'mmris-0.1.0.dist-info'
    info.mkdir(parents=True)
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: mmris\nVersion: 0.1.0\n')
    (info / 'top_level.txt').write_text('mmris\n')
    inherit(tmp_path, 'mmris::etris/rn101_refcocog_umd.py')
    script = ('import mmris\nfrom mmengine.config import Config\n'
              "cfg = Config.fromfile('user_config.py')\n"
              'print(cfg.model.backbone.text_encoder.text_length, cfg.model.backbone.clip_weights)\n')
    env = dict(os.environ, PYTHONPATH=str(tmp_path / 'metadata'))
    result = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ['22', 'pretrain/RN101.pt']


def test_model_index_names_existing_metafiles_and_configs():
    mim = REPO / 'mmris' / '.mim'
    index = yaml.safe_load((mim / 'model-index.yml').read_text())
    assert index['Import']
    for metafile in index['Import']:
        models = yaml.safe_load((mim / metafile).read_text())['Models']
        for model in models:
            assert (mim / model['Config']).is_file(), (metafile, model['Name'])


def test_the_docs_loveda_config_builds_its_norm_layers(tmp_path):
    """docs/semantic_segmentation.md's config for another mmseg dataset:
    every norm_cfg that reaches mmcv is free of mmengine's ``_scope_`` mark."""
    from mmcv.cnn import build_norm_layer
    config = tmp_path / 'loveda.py'
    config.write_text(
        "_base_ = ['mmris::_base_/models/etris-seg_vitb16.py', "
        "'mmseg::_base_/datasets/loveda.py', 'mmris::_base_/etris_seg_runtime.py', "
        "'mmris::_base_/schedules/etris-seg_80k.py']\n"
        "model = dict(backbone=dict(classes='loveda'))\n")
    model = Config.fromfile(str(config)).model
    norm_cfgs = [model.decode_head.norm_cfg, model.neck.norm_cfg,
                 model.backbone.bridger.zoom_norm_cfg]
    for norm_cfg in norm_cfgs:
        assert '_scope_' not in norm_cfg
        build_norm_layer(norm_cfg, 8)

"""Every config loads, builds its model and pipelines, and runs (tiny towers,
the synthetic refer set as data root): the twelve reference ETRIS configs a
test iteration, the other encoder pairings a train and a test iteration."""
import re
import sys
from pathlib import Path

import pytest

from mmris.engine import Runner
from mmris.registry import MODELS

CONFIG_ROOT = Path(__file__).parents[1] / 'configs'
ALL_CONFIGS = sorted(str(p.relative_to(CONFIG_ROOT).with_suffix(''))
                     for p in (CONFIG_ROOT / 'etris').glob('*.py'))
CONFIGS = [name[len('etris/'):] for name in ALL_CONFIGS
           if re.fullmatch(r'etris/(vitb|rn50|rn101)_refcoco.*', name)]
PAIRINGS = ['etris/dinov2-b14_clip-text_refcoco', 'etris/vitb16-hf_refcoco',
            'etris/vitb16_bert-base_refcoco', 'etris/vitl14-hf_refcoco', 'etris/vitl14_refcoco']


def test_every_config_is_run_below():
    assert len(CONFIGS) == 12
    assert sorted({f'etris/{name}' for name in CONFIGS} | set(PAIRINGS)) == ALL_CONFIGS


def test_the_earlier_detris_path_loads_the_same_config():
    """configs/detris/ held the DETRIS pairing alone; it moved to etris/ with
    the other referring-segmentation configs, and the old path still works."""
    from mmengine.config import Config
    old = Config.fromfile(str(CONFIG_ROOT / 'detris' / 'dinov2-b14_clip-text_refcoco.py'))
    new = Config.fromfile(str(CONFIG_ROOT / 'etris' / 'dinov2-b14_clip-text_refcoco.py'))
    assert old.to_dict() == new.to_dict()
    assert old.model.backbone.vision_encoder.type == 'mmris.HFVisionEncoder'


def point_at(cfg, refcoco_root, tmp_path) -> None:
    """Read the generated referring set in batches of 2; work in ``tmp_path``."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.update(data_root=str(refcoco_root), ann_file='refcoco/instances.json',
                                   split_file='refcoco/refs(unc).p')
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=2)
    cfg.test_dataloader.dataset.indices = 2
    cfg.work_dir = str(tmp_path)


@pytest.mark.parametrize('name', CONFIGS)
def test_config_runs_one_test_iteration(name, tiny_config, refcoco_root, tmp_path):
    backbone, dataset = name.split('_', 1)
    cfg = tiny_config(backbone, dataset)
    expected_length = 22 if dataset.startswith('refcocog') else 17
    assert cfg.model.backbone.text_encoder.text_length == expected_length
    point_at(cfg, refcoco_root, tmp_path)
    runner = Runner.from_cfg(cfg)
    assert len(runner.build_dataloader(cfg.train_dataloader).dataset) > 0
    metrics = runner.test()
    assert set(metrics) >= {'mIoU', 'oIoU', 'Prec@0.5'}


@pytest.mark.parametrize('name', PAIRINGS)
def test_pairing_trains_and_tests_one_iteration(name, tiny_pairing_config, refcoco_root, tmp_path):
    cfg = tiny_pairing_config(name)
    point_at(cfg, refcoco_root, tmp_path)
    cfg.train_dataloader.dataset.indices = 2  # one iteration of 2 samples per epoch
    cfg.train_cfg.update(max_epochs=1, val_interval=2)
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    metrics = runner.test()
    assert set(metrics) >= {'mIoU', 'oIoU', 'Prec@0.5'}


def test_every_config_builds_and_tokenises_without_open_clip(monkeypatch, tiny_config,
                                                           tiny_pairing_config):
    monkeypatch.setitem(sys.modules, 'open_clip', None)  # `import open_clip` fails
    with pytest.raises(ImportError):
        import open_clip  # noqa: F401
    configs = [tiny_config(*name.split('_', 1)) for name in CONFIGS]
    configs += [tiny_pairing_config(name) for name in PAIRINGS]
    for cfg in configs:
        backbone = MODELS.build(cfg.model.backbone)
        ids = backbone.tokenize(['the red circle', 'the square left of the blue one'])
        assert ids.shape == (2, cfg.model.backbone.text_encoder.text_length)
        assert not backbone.text_encoder.padding_mask(ids)[:, :3].any()

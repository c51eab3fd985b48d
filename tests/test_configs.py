"""Every ETRIS config loads, builds its model and pipelines, and runs a test
iteration (tiny towers, the synthetic refer set as data root)."""
from pathlib import Path

import pytest

from mmris.engine import Runner

CONFIGS = sorted(p.stem for p in (Path(__file__).parents[1] / 'configs' / 'etris').glob('*.py'))


def test_twelve_configs():
    assert len(CONFIGS) == 12


@pytest.mark.parametrize('name', CONFIGS)
def test_config_runs_one_test_iteration(name, tiny_config, refcoco_root, tmp_path):
    backbone, dataset = name.split('_', 1)
    cfg = tiny_config(backbone, dataset)
    expected_length = 22 if dataset.startswith('refcocog') else 17
    assert cfg.model.backbone.text_encoder.text_length == expected_length
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.update(data_root=str(refcoco_root), ann_file='refcoco/instances.json',
                                   split_file='refcoco/refs(unc).p')
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=2)
    cfg.test_dataloader.dataset.indices = 2
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    assert len(runner.build_dataloader(cfg.train_dataloader).dataset) > 0
    metrics = runner.test()
    assert set(metrics) >= {'mIoU', 'oIoU', 'Prec@0.5'}

"""Every semantic-segmentation config builds a stock mmseg EncoderDecoder
and runs one train and one test iteration (tiny towers, 64 pixels, a few
generated images in each dataset's own layout)."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import get_classes

from mmris.engine import Runner

CONFIGS = sorted(p.stem for p in (Path(__file__).parents[1] / 'configs' / 'etris_seg').glob('*.py'))
CLASS_COUNTS = {'ade20k': 150, 'voc12aug': 21, 'cityscapes': 19, 'coco-stuff164k': 171,
                'pascal-context-59': 59}


def test_ten_configs_in_mmseg_naming():
    assert len(CONFIGS) == 10
    for name in CONFIGS:
        model, schedule, data = name.split('_')
        assert model in ('etris-vitb16', 'etris-rn50') and schedule[0] == '4'


@pytest.mark.parametrize('name', CONFIGS)
def test_config_inherits_mmseg_and_builds_stock_encoder_decoder(name):
    cfg = Config.fromfile(str(Path(__file__).parents[1] / 'configs' / 'etris_seg' / f'{name}.py'))
    assert cfg.model.type == 'mmseg.EncoderDecoder'
    dataset = next(key for key in CLASS_COUNTS if f'_{key}-' in name)
    assert len(get_classes(cfg.model.backbone.classes)) == CLASS_COUNTS[dataset]
    assert cfg.model.decode_head.num_classes == CLASS_COUNTS[dataset]


@pytest.mark.parametrize('name', CONFIGS)
def test_config_runs_one_train_and_one_test_iteration(name, tmp_path, tiny_seg_config,
                                                      write_seg_dataset):
    init_default_scope('mmris')
    cfg = tiny_seg_config(name)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=2)
        write_seg_dataset(cfg[loader].dataset, tmp_path)
    cfg.train_cfg.update(max_iters=1, val_interval=10)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    assert type(runner.model) is EncoderDecoder
    runner.train()
    metrics = runner.test()
    assert 'mIoU' in metrics

"""Tiny semantic-segmentation configs and the random image and label files
their data sets read."""
import os
import os.path as osp
from pathlib import Path

import pytest

from .shrinking import TINY_ETRIS, TINY_MAPS, shrink_pipelines, tiny_backbone_name, tiny_vision_options

REPO = Path(__file__).resolve().parents[2]


def make_tiny_seg_config(name: str):
    """``configs/etris_seg/<name>.py`` shrunk by the tiny overrides, with
    pipelines and sliding windows at 64 pixels."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / 'etris_seg' / f'{name}.py'))
    options = dict(TINY_ETRIS, **tiny_vision_options(name))
    options.update({'model.neck.in_channels': TINY_MAPS[tiny_backbone_name(name)],
                    'model.decode_head.decoder.num_layers': 1, 'model.test_cfg.crop_size': (64, 64),
                    'model.test_cfg.stride': (42, 42)})
    cfg.merge_from_dict(options)
    shrink_pipelines(cfg)
    return cfg


def write_seg_files(dataset_cfg, root, num_images: int = 2, seed: int = 0) -> None:
    """Point the dataset ``dataset_cfg`` (and any it concatenates) at
    ``root`` (in place) and write ``num_images`` random images and label maps
    where it looks for them: its class's file suffixes, ``data_prefix``
    folders and ``ann_file`` lists."""
    import inspect

    import cv2
    import numpy as np
    from mmseg.registry import DATASETS
    rng = np.random.default_rng(seed)
    stack = [dataset_cfg]
    while stack:
        cfg = stack.pop()
        if 'datasets' in cfg:
            stack += cfg['datasets']
            continue
        cfg['data_root'] = str(root)
        dataset_class = DATASETS.get(cfg['type'])
        defaults = {name: parameter.default for name, parameter in
                    inspect.signature(dataset_class.__init__).parameters.items()}

        def option(key, cfg=cfg, defaults=defaults):
            return cfg.get(key, defaults.get(key))

        classes = cfg.get('metainfo', {}).get('classes') or dataset_class.METAINFO['classes']
        low = 1 if option('reduce_zero_label') else 0  # label 0 is 'ignore' there
        names = [f'sample{i}' for i in range(num_images)]
        for name in names:
            image = osp.join(root, cfg['data_prefix']['img_path'], name + option('img_suffix'))
            label = osp.join(root, cfg['data_prefix']['seg_map_path'],
                             name + option('seg_map_suffix'))
            for path in (image, label):
                os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(image, rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
            cv2.imwrite(label, rng.integers(low, len(classes) + low, (48, 64), dtype=np.uint8))
        if cfg.get('ann_file'):
            ann_file = osp.join(root, cfg['ann_file'])
            os.makedirs(osp.dirname(ann_file), exist_ok=True)
            with open(ann_file, 'w') as f:
                f.write('\n'.join(names) + '\n')


@pytest.fixture
def tiny_seg_config():
    """The function :func:`make_tiny_seg_config` (a config name -> Config)."""
    return make_tiny_seg_config


@pytest.fixture
def write_seg_dataset():
    """The function :func:`write_seg_files` (dataset config, root)."""
    return write_seg_files

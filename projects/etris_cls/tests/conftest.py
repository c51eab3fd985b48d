"""Fixtures of the classification project's tests."""
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = PROJECT / 'configs' / 'etris-cls_tiny_synthetic-shapes.py'


@pytest.fixture(scope='session')
def shapes_cls_root(tmp_path_factory):
    """A small generated shapes set: 6 classes, 3 train and 2 val images of
    32 px each."""
    from projects.etris_cls.etris_cls import generate_shapes_folder
    root = tmp_path_factory.mktemp('shapes_cls')
    generate_shapes_folder(str(root), num_classes=6, train_per_class=3, val_per_class=2,
                           size=32)
    return root


@pytest.fixture(scope='session')
def cls_demo_config():
    """Path of the project's demo config."""
    return str(DEMO_CONFIG)


@pytest.fixture
def cls_demo_options(shapes_cls_root):
    """``--cfg-options`` values pointing the demo config at
    ``shapes_cls_root`` (its 6 classes) for ``max_iters`` iterations of 4
    images."""
    from projects.etris_cls.etris_cls import SHAPES

    classes = f'[{",".join(SHAPES[:6])}]'

    def options(max_iters: int = 1) -> list:
        return [
            *(f'{loader}.dataset.data_root={shapes_cls_root}'
              for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')),
            *(f'{loader}.dataset.metainfo.classes={classes}'
              for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')),
            f'model.backbone.classes={classes}',
            f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={max_iters}',
            f'param_scheduler.0.end={max_iters}',
            f'default_hooks.checkpoint.interval={max_iters}', 'default_hooks.logger.interval=1',
            'train_dataloader.batch_size=4', 'val_dataloader.batch_size=4',
            'test_dataloader.batch_size=4',
        ]

    return options

"""Tiny detection configs and the COCO-format files their data sets read."""
from pathlib import Path

import pytest

from .shrinking import TINY_BRIDGED, shrink_pipelines, tiny_vision_options

REPO = Path(__file__).resolve().parents[2]


# Overrides that shrink the detection configs (configs/etris_det,
# configs/etris_refdet) to tiny towers and heads, per detector type (without its scope).
TINY_DET_PARTS = {
    'RetinaNet': {'model.neck.neck.in_channels': [32, 64, 128, 256],
                  'model.neck.neck.out_channels': 16, 'model.bbox_head.in_channels': 16},
    'FCOS': {'model.neck.in_channels': 32, 'model.neck.out_channels': 16,
             'model.bbox_head.in_channels': 16, 'model.bbox_head.norm_cfg.num_groups': 4},
    'ETRISReferringDetector': {
        'model.neck.0.in_channels': [32, 32, 32], 'model.neck.0.text_channels': 32,
        'model.neck.0.channels': 32, 'model.neck.0.num_heads': 2,
        'model.neck.1.in_channels': 32, 'model.neck.1.word_channels': 32,
        'model.neck.1.decoder.num_layers': 1, 'model.neck.1.decoder.num_heads': 2,
        'model.neck.1.decoder.ffn_channels': 32, 'model.neck.2.in_channels': 32,
        'model.neck.2.out_channels': 16, 'model.bbox_head.in_channels': 16,
        'model.bbox_head.norm_cfg.num_groups': 4},
    'MaskRCNN': {
        'model.neck.neck.in_channels': [32, 64, 128, 256],
        'model.neck.neck.out_channels': 16,
        'model.roi_head.bbox_head.in_channels': 16,
        'model.roi_head.bbox_head.text_channels': 32,
        'model.rpn_head.in_channels': 16,
        'model.rpn_head.feat_channels': 16,
        'model.roi_head.bbox_roi_extractor.out_channels': 16,
        'model.roi_head.bbox_head.fc_out_channels': 32,
        'model.roi_head.bbox_head.embed_channels': 8,
        'model.roi_head.mask_roi_extractor.out_channels': 16,
        'model.roi_head.mask_head.in_channels': 16,
        'model.roi_head.mask_head.conv_out_channels': 16,
        'model.roi_head.mask_head.num_convs': 1,
        'model.train_cfg.rcnn.sampler.num': 32,
    },
}
TINY_DENSE_HEAD = {'model.bbox_head.feat_channels': 16, 'model.bbox_head.stacked_convs': 1,
                   'model.bbox_head.embed_channels': 8, 'model.bbox_head.text_channels': 32}


def make_tiny_det_config(path: str):
    """The detection config at ``path`` (relative to the repository)
    shrunk to tiny towers and heads, with pipelines at 64 pixels."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / path))
    parts = TINY_DET_PARTS[cfg.model.type.rpartition('.')[2]]
    options = dict(TINY_BRIDGED, **parts, **tiny_vision_options(path))
    if 'bbox_head' in cfg.model:
        options.update(TINY_DENSE_HEAD)
    cfg.merge_from_dict(options)
    shrink_pipelines(cfg)
    return cfg


def write_coco_files(dataset_cfg, root, classes, num_images: int = 2, seed: int = 0) -> None:
    """Point the COCO-format dataset ``dataset_cfg`` at ``root`` (in place)
    and write generated images of shapes there, annotated in the COCO format
    with the categories ``classes`` (ids 1..K; the shapes are the first
    three)."""
    import json

    from mmris.synthetic import generate_synthetic_coco
    generate_synthetic_coco(str(root), num_train=num_images, num_val=num_images, size=64,
                            seed=seed)
    categories = [dict(id=index + 1, name=name) for index, name in enumerate(classes)]
    for split in ('train', 'val'):
        ann_file = root / 'annotations' / f'instances_{split}.json'
        instances = json.loads(ann_file.read_text())
        ann_file.write_text(json.dumps(dict(instances, categories=categories)))
    split = 'val' if dataset_cfg.get('test_mode') else 'train'
    dataset_cfg.update(data_root=str(root), ann_file=f'annotations/instances_{split}.json',
                       data_prefix=dict(img=f'{split}/'))


@pytest.fixture
def tiny_det_config():
    """The function :func:`make_tiny_det_config` (a config path -> Config)."""
    return make_tiny_det_config


@pytest.fixture
def write_coco_dataset():
    """The function :func:`write_coco_files` (dataset config, root, classes)."""
    return write_coco_files

"""The generated COCO-format shapes set: mmdet's CocoDataset reads it, its
boxes are the extents of its masks, and CocoMetric scores predictions on it."""
import hashlib
import json

import numpy as np
import pytest
import torch
from mmdet.datasets import CocoDataset
from mmdet.evaluation import CocoMetric
from pycocotools import mask as mask_utils

from mmris.synthetic import generate_synthetic_coco
from mmris.synthetic.coco import CLASSES

METAINFO = dict(classes=CLASSES)


@pytest.fixture(scope='module')
def coco_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic_coco')
    summary = generate_synthetic_coco(str(root), num_train=6, num_val=4, size=96, seed=1)
    assert {split: counts['images'] for split, counts in summary.items()} == dict(train=6, val=4)
    return root


def _val_set(root):
    return CocoDataset(data_root=str(root), ann_file='annotations/instances_val.json',
                       data_prefix=dict(img='val/'), metainfo=METAINFO, test_mode=True,
                       pipeline=[])


def test_coco_dataset_reads_it(coco_root):
    dataset = _val_set(coco_root)
    assert len(dataset) == 4 and dataset.metainfo['classes'] == ('circle', 'square', 'triangle')
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert (coco_root / 'val' / info['img_path'].split('/')[-1]).is_file()
        assert 2 <= len(info['instances']) <= 4
        assert all(0 <= instance['bbox_label'] < 3 for instance in info['instances'])


def test_boxes_are_the_extents_of_the_masks(coco_root):
    instances = json.loads((coco_root / 'annotations' / 'instances_train.json').read_text())
    images = {image['id']: image for image in instances['images']}
    kinds = set()
    for ann in instances['annotations']:
        image = images[ann['image_id']]
        h, w = image['height'], image['width']
        segmentation = ann['segmentation']
        kinds.add(type(segmentation).__name__)
        rle = (mask_utils.merge(mask_utils.frPyObjects(segmentation, h, w))
               if isinstance(segmentation, list) else
               dict(segmentation, counts=segmentation['counts'].encode()))
        mask = mask_utils.decode(rle)
        rows, cols = np.nonzero(mask)
        x, y, bw, bh = ann['bbox']
        assert (x, y, x + bw, y + bh) == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
        assert ann['area'] == mask.sum()
    assert kinds == {'list', 'dict'}  # polygons and RLE


def test_same_seed_same_files(tmp_path):
    def digest(root):
        return hashlib.md5(b''.join(p.read_bytes() for p in sorted(root.rglob('*'))
                                    if p.is_file())).hexdigest()
    for name in 'ab':
        generate_synthetic_coco(str(tmp_path / name), num_train=2, num_val=1, size=48, seed=7)
    assert digest(tmp_path / 'a') == digest(tmp_path / 'b')


def _score(root, shift):
    """CocoMetric of the ground-truth boxes, moved right by ``shift`` times their width."""
    dataset = _val_set(root)
    metric = CocoMetric(ann_file=str(root / 'annotations' / 'instances_val.json'), metric='bbox')
    metric.dataset_meta = dataset.metainfo
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        boxes = torch.tensor([instance['bbox'] for instance in info['instances']])
        boxes[:, [0, 2]] += shift * (boxes[:, 2] - boxes[:, 0])[:, None]
        labels = torch.tensor([instance['bbox_label'] for instance in info['instances']])
        metric.process({}, [dict(img_id=info['img_id'], ori_shape=(info['height'], info['width']),
                                 pred_instances=dict(bboxes=boxes, scores=torch.ones(len(boxes)),
                                                     labels=labels))])
    return metric.evaluate(len(dataset))


def test_coco_metric_on_predictions_from_the_generated_set(coco_root):
    exact = _score(coco_root, 0.)
    assert exact['coco/bbox_mAP'] == pytest.approx(1.) and exact['coco/bbox_mAP_50'] == 1.
    # Moved by half a width, every box has IoU 1/3 with its object: no match at 0.5.
    moved = _score(coco_root, 0.5)
    assert moved['coco/bbox_mAP_50'] == 0.

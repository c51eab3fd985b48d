"""Every detection config builds a stock mmdet detector (or mmris'
referring detector) and runs one train and one test iteration with tiny
towers on generated data in its dataset's own layout; the metrics are
mmdet's CocoMetric (bbox, segm) and mmris' RefBoxMetric."""
import json
import math
from pathlib import Path

import pytest
import torch
from mmdet.models.detectors import FCOS, MaskRCNN, RetinaNet
from mmengine.config import Config

from mmris.datasets import GRefCOCODataset
from mmris.datasets.mdetr_annotations import write_mdetr_annotations
from mmris.engine import Runner
from mmris.models.detectors import ETRISReferringDetector
from mmris.models.utils.class_vocabulary import resolve_class_names, set_vocabulary
from mmris.synthetic import generate_synthetic_grefcoco

REPO = Path(__file__).parents[1]
DET_CONFIGS = sorted(f'configs/etris_det/{p.name}' for p in (REPO / 'configs' / 'etris_det').glob('*.py'))
REFDET_CONFIGS = sorted(f'configs/etris_refdet/{p.name}'
                        for p in (REPO / 'configs' / 'etris_refdet').glob('*.py'))
DETECTORS = {'retinanet': RetinaNet, 'fcos': FCOS, 'mask-rcnn': MaskRCNN}


def test_configs_in_mmdet_naming_on_mmdet_bases():
    assert DET_CONFIGS == [
        'configs/etris_det/fcos_etris-vitb16_simplefpn_1x_coco.py',
        'configs/etris_det/mask-rcnn_etris-rn50_fpn_1x_coco.py',
        'configs/etris_det/retinanet_etris-rn50_fpn_1x_coco.py',
        'configs/etris_det/retinanet_etris-rn50_fpn_1x_custom-classes.py',
    ]
    for path in DET_CONFIGS:
        cfg = Config.fromfile(str(REPO / path))
        assert cfg.default_scope == 'mmdet'
        assert cfg.train_dataloader.dataset.type == 'CocoDataset'
        metrics = cfg.val_evaluator.metric
        assert cfg.val_evaluator.type == 'CocoMetric'
        assert metrics == (['bbox', 'segm'] if 'mask-rcnn' in path else 'bbox')


def _shrink_run(cfg, tmp_path):
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=2)
        cfg[loader].pop('batch_sampler', None)
    cfg.train_cfg.update(max_epochs=1, val_interval=10)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(tmp_path / 'work')
    # An untrained detector may score every box below mmdet's 0.05: keep
    # them all, so that the metrics always see predictions.
    test_cfg = cfg.model.test_cfg
    (test_cfg.rcnn if 'rcnn' in test_cfg else test_cfg).score_thr = 0.


def _coco_cfg(tiny_det_config, write_coco_dataset, tmp_path, path):
    """The tiny config with generated data named by its classes."""
    cfg = tiny_det_config(path)
    _shrink_run(cfg, tmp_path)
    classes = resolve_class_names(cfg.model.backbone.classes)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        write_coco_dataset(cfg[loader].dataset, tmp_path / 'data', classes)
    cfg.val_evaluator.ann_file = cfg.test_evaluator.ann_file = str(
        tmp_path / 'data' / 'annotations' / 'instances_val.json')
    return cfg


@pytest.mark.parametrize('path', DET_CONFIGS)
def test_config_runs_one_train_and_one_test_iteration(path, tmp_path, tiny_det_config,
                                                      write_coco_dataset):
    cfg = _coco_cfg(tiny_det_config, write_coco_dataset, tmp_path, path)
    runner = Runner.from_cfg(cfg)
    assert type(runner.model) is DETECTORS[Path(path).name.split('_')[0]]
    classes = runner.model.backbone.class_names
    # The vocabulary is the dataset's metainfo classes (mmdet's CocoDataset's 80 by default).
    dataset = runner.train_dataloader.dataset
    assert classes == tuple(dataset.metainfo['classes'])
    assert len(classes) == (3 if 'custom-classes' in path else 80)
    runner.train()
    assert runner.iter == 1
    metrics = runner.test()
    assert 'coco/bbox_mAP' in metrics and 0 <= metrics['coco/bbox_mAP'] <= 1
    if 'mask-rcnn' in path:
        assert 'coco/segm_mAP' in metrics


@pytest.mark.parametrize('path', REFDET_CONFIGS)
def test_referring_config_runs_on_the_refer_layout(path, tmp_path, tiny_det_config,
                                                   refcoco_root):
    cfg = tiny_det_config(path)
    _shrink_run(cfg, tmp_path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(refcoco_root)
    runner = Runner.from_cfg(cfg)
    assert type(runner.model) is ETRISReferringDetector
    runner.train()
    metrics = runner.test()
    assert 0 <= metrics['box/Acc@0.5'] <= 100


GREFCOCO_DEMO = 'configs/demo/refdet-fcos_etris-tiny_synthetic-grefcoco.py'


def test_grefcoco_referring_demo_trains_and_scores_the_boxes_it_keeps(tmp_path):
    """The multi-target referring detection demo trains on the generated
    gRefCOCO variant and mmdet's gRefCOCOMetric scores it on MDETR-style
    annotations. The metric counts the boxes the detector keeps: one
    threshold for both (with the metric's own 0.7 it counted none of FCOS'
    boxes, and every expression read as no-target)."""
    root = tmp_path / 'data'
    generate_synthetic_grefcoco(str(root), num_images=20, size=48, seed=4)
    mdetr_val = root / 'grefcoco' / 'mdetr_val.json'
    counts = write_mdetr_annotations(
        GRefCOCODataset(data_root=str(root), split='val', mode='test', pipeline=[]),
        str(mdetr_val))
    assert counts['no-target'] > 0 and counts['expressions'] > counts['no-target']
    cfg = Config.fromfile(str(REPO / GREFCOCO_DEMO))
    assert cfg.test_evaluator.thresh_score == cfg.model.test_cfg.score_thr < 0.7
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=2)
        cfg[loader].dataset.data_root = str(root)
    cfg.val_evaluator.ann_file = cfg.test_evaluator.ann_file = str(mdetr_val)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    for name in ('F1_score', 'T_acc', 'N_acc'):
        assert 0 <= metrics[f'grefcoco/{name}'] <= 1


CUSTOM = 'configs/etris_det/retinanet_etris-rn50_fpn_1x_custom-classes.py'


@pytest.mark.parametrize('path', [CUSTOM, 'configs/etris_det/fcos_etris-vitb16_simplefpn_1x_coco.py',
                                  'configs/etris_det/mask-rcnn_etris-rn50_fpn_1x_coco.py'])
def test_images_without_boxes_train(path, tmp_path, tiny_det_config, write_coco_dataset):
    cfg = _coco_cfg(tiny_det_config, write_coco_dataset, tmp_path, path)
    ann_file = tmp_path / 'data' / 'annotations' / 'instances_train.json'
    instances = json.loads(ann_file.read_text())
    ann_file.write_text(json.dumps(dict(instances, annotations=[])))
    cfg.train_dataloader.dataset.filter_cfg = dict(filter_empty_gt=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    assert math.isfinite(runner.message_hub.get_scalar('train/loss').current())


def test_class_list_changes_at_test_time(tmp_path, tiny_det_config, write_coco_dataset):
    cfg = _coco_cfg(tiny_det_config, write_coco_dataset, tmp_path, CUSTOM)
    runner = Runner.from_cfg(cfg)
    runner.train()
    checkpoint = tmp_path / 'work' / 'epoch_1.pth'
    assert checkpoint.is_file()
    # Test the 3-class checkpoint on two of the classes: the model is built
    # for the new list and takes the same weights.
    cfg = _coco_cfg(tiny_det_config, write_coco_dataset, tmp_path / 'test', CUSTOM)
    classes = ('circle', 'triangle')
    set_vocabulary(cfg.model, classes)
    cfg.merge_from_dict({'test_dataloader.dataset.metainfo.classes': classes})
    cfg.load_from = str(checkpoint)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert runner.model.bbox_head.num_classes == 2
    assert 'coco/bbox_mAP' in metrics
    # Every tensor the (parameter-efficient) checkpoint holds came through
    # load_from unchanged.
    from mmris.checkpoint.loader import safe_load
    saved = safe_load(str(checkpoint), map_location='cpu')['state_dict']
    loaded = runner.model.state_dict()
    assert saved and set(saved) <= set(loaded)
    for name, value in saved.items():
        assert torch.equal(value, loaded[name].cpu()), name

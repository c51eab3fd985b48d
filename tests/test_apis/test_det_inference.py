"""mmdet's own inference path runs the detection configs: init_detector,
inference_detector and DetInferencer, with the class list from the config."""
import numpy as np
import pytest
from mmdet.apis import DetInferencer, inference_detector, init_detector
from mmengine.runner import save_checkpoint

from mmris.models.backbones.class_vocabulary import resolve_class_names

CONFIGS = ['configs/etris_det/retinanet_etris-rn50_fpn_1x_coco.py',
           'configs/etris_det/fcos_etris-vitb16_simplefpn_1x_coco.py',
           'configs/etris_det/mask-rcnn_etris-rn50_fpn_1x_coco.py']
CUSTOM = 'configs/etris_det/retinanet_etris-rn50_fpn_1x_custom-classes.py'
IMAGE = (np.random.default_rng(0).random((60, 90, 3)) * 255).astype(np.uint8)


def _keep_every_box(cfg):
    """Random weights score low: lower the score threshold to see boxes."""
    test_cfg = cfg.model.test_cfg
    (test_cfg.rcnn if 'rcnn' in test_cfg else test_cfg).score_thr = 0.


@pytest.mark.parametrize('path', CONFIGS + [CUSTOM])
def test_init_and_inference_detector(path, tiny_det_config):
    cfg = tiny_det_config(path)
    _keep_every_box(cfg)
    model = init_detector(cfg, checkpoint=None, device='cpu')
    result = inference_detector(model, IMAGE)
    instances = result.pred_instances
    classes = resolve_class_names(cfg.model.backbone.classes)
    assert len(instances) > 0
    assert 0 <= int(instances.labels.min()) and int(instances.labels.max()) < len(classes)
    assert instances.bboxes.shape[1] == 4
    if 'mask-rcnn' in path:
        assert instances.masks.shape[1:] == IMAGE.shape[:2]


def test_det_inferencer_with_another_class_list(tiny_det_config, tmp_path):
    cfg = tiny_det_config(CUSTOM)
    model = init_detector(cfg, checkpoint=None, device='cpu')
    checkpoint = tmp_path / 'three_classes.pth'
    save_checkpoint(dict(state_dict=model.state_dict(),
                         meta=dict(dataset_meta=dict(classes=cfg.model.backbone.classes))),
                    str(checkpoint))
    classes = ('triangle', 'circle')
    cfg.model.backbone.classes = classes
    _keep_every_box(cfg)
    inferencer = DetInferencer(model=cfg, weights=str(checkpoint), device='cpu',
                               show_progress=False)
    # The checkpoint's class names are for the pictures; set the new ones.
    inferencer.model.dataset_meta['classes'] = classes
    out = inferencer(IMAGE, return_datasamples=True, out_dir=str(tmp_path / 'out'))
    assert inferencer.model.backbone.class_names == classes
    labels = out['predictions'][0].pred_instances.labels
    assert len(labels) > 0 and int(labels.max()) < 2
    assert len(list((tmp_path / 'out' / 'vis').glob('*.jpg'))) == 1

"""mmdet's own inference path runs the detection configs: init_detector and
inference_detector, with the class list from the config, and
VocabularyDetInferencer (mmdet's DetInferencer) with another one."""
import numpy as np
import pytest
from mmdet.apis import inference_detector, init_detector
from mmengine.runner import save_checkpoint

from mmris.models.utils.class_vocabulary import resolve_class_names

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


def test_vocabulary_det_inferencer_takes_another_class_list_as_one_argument(tiny_det_config,
                                                                            tmp_path):
    from mmris.apis import VocabularyDetInferencer
    cfg = tiny_det_config(CUSTOM)
    _keep_every_box(cfg)
    model = init_detector(cfg, checkpoint=None, device='cpu')
    checkpoint = tmp_path / 'three_classes.pth'
    save_checkpoint(dict(state_dict=model.state_dict(),
                         meta=dict(dataset_meta=dict(classes=cfg.model.backbone.classes))),
                    str(checkpoint))
    config = tmp_path / 'tiny.py'
    cfg.dump(str(config))
    classes = ('triangle', 'circle')
    inferencer = VocabularyDetInferencer(str(config), weights=str(checkpoint), classes=classes,
                                         device='cpu', show_progress=False)
    out = inferencer(IMAGE, return_datasamples=True, out_dir=str(tmp_path / 'out'))
    assert inferencer.model.backbone.class_names == classes
    assert inferencer.model.bbox_head.num_classes == 2
    # The pictures name the new classes, not the checkpoint's three.
    assert inferencer.visualizer.dataset_meta['classes'] == classes
    labels = out['predictions'][0].pred_instances.labels
    assert len(labels) > 0 and int(labels.max()) < 2
    assert len(list((tmp_path / 'out' / 'vis').glob('*.jpg'))) == 1


def test_a_longer_vocabulary_gets_a_colour_per_class(tiny_det_config, tmp_path):
    """The palette mmdet picks (the config's or the checkpoint's: 3 colours
    here, COCO's 80 for a COCO model) serves its own vocabulary; a longer one
    gets a colour per class, else mmdet's visualizer refuses to draw a label
    past the palette."""
    from mmris.apis import VocabularyDetInferencer
    cfg = tiny_det_config(CUSTOM)
    _keep_every_box(cfg)
    model = init_detector(cfg, checkpoint=None, device='cpu')
    palette = [(220, 20, 60), (119, 11, 32), (0, 0, 142)]
    checkpoint = tmp_path / 'three_classes.pth'
    save_checkpoint(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(
        classes=cfg.model.backbone.classes, palette=palette))), str(checkpoint))
    config = tmp_path / 'tiny.py'
    cfg.dump(str(config))
    same = VocabularyDetInferencer(str(config), weights=str(checkpoint), device='cpu',
                                   show_progress=False)
    assert len(same.visualizer.dataset_meta['palette']) == len(palette)
    classes = [f'shape {i}' for i in range(12)]
    longer = VocabularyDetInferencer(str(config), weights=str(checkpoint), classes=classes,
                                     device='cpu', show_progress=False)
    assert len(longer.visualizer.dataset_meta['palette']) == len(classes)
    out = longer(IMAGE, return_datasamples=True, out_dir=str(tmp_path / 'out'))
    assert int(out['predictions'][0].pred_instances.labels.max()) >= len(palette)
    assert len(list((tmp_path / 'out' / 'vis').glob('*.jpg'))) == 1

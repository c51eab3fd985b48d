"""mmris.benchmark: the timed training step and the random inputs it runs on."""
import numpy as np
import pytest
import torch

from mmris.benchmark import make_inputs, training_step


def test_training_step_updates_the_trainable_parameters_only(tiny_config):
    from mmris.registry import MODELS
    model = MODELS.build(tiny_config('vitb').model)
    images, samples = make_inputs(model, 2, 64, 64, 'cpu')
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    training_step(model, images, samples, precision='fp32')()
    for name, param in model.named_parameters():
        assert torch.equal(before[name], param) != param.requires_grad, name


@pytest.mark.parametrize('config', [
    'configs/etris_det/retinanet_etris-rn50_fpn_1x_custom-classes.py',
    'configs/etris_det/mask-rcnn_etris-rn50_fpn_1x_coco.py'])
def test_detectors_get_boxes_and_train(config, tiny_det_config):
    from mmris.apis import init_model
    cfg = tiny_det_config(config)
    model = init_model(cfg)
    images, samples = make_inputs(model, 2, 64, 96, 'cpu')
    num_classes = len(model.backbone.class_names)
    assert images.shape == (2, 3, 64, 96) and len(samples) == 2
    for sample in samples:
        boxes, labels = sample.gt_instances.bboxes, sample.gt_instances.labels
        assert boxes.shape == (3, 4) and sample.text
        assert (boxes[:, :2] >= 0).all()
        assert (boxes[:, 2] <= 96).all() and (boxes[:, 3] <= 64).all()
        assert (boxes[:, 2:] > boxes[:, :2]).all()
        assert ((labels >= 0) & (labels < num_classes)).all()
        if 'mask-rcnn' in config:  # each mask is its rounded box, pixel for pixel
            masks = sample.gt_instances.masks.to_ndarray()
            assert len(masks) == len(boxes)
            for mask, box in zip(masks, boxes.tolist(), strict=True):
                x1, y1, x2, y2 = (round(v) for v in box)
                expected = np.zeros((64, 96), np.uint8)
                expected[y1:y2, x1:x2] = 1
                np.testing.assert_array_equal(mask, expected)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    training_step(model, images, samples, precision='fp32')()
    changed = [name for name, p in model.named_parameters() if not torch.equal(before[name], p)]
    assert changed and all(dict(model.named_parameters())[name].requires_grad for name in changed)


def test_referring_inputs_hold_a_binary_mask_and_fitting_text(tiny_config):
    from mmris.registry import MODELS
    model = MODELS.build(tiny_config('vitb').model)
    images, samples = make_inputs(model, 3, 64, 48, 'cpu', seed=1)
    assert images.shape == (3, 3, 64, 48) and len(samples) == 3
    texts = [sample.metainfo['text'] for sample in samples]
    assert len(set(texts)) > 1
    for sample in samples:
        truth = sample.gt_sem_seg.data
        assert truth.shape == (1, 64, 48) and set(truth.unique().tolist()) == {0.0, 1.0}
    again = make_inputs(model, 3, 64, 48, 'cpu', seed=1)
    assert torch.equal(again[0], images)  # the seed fixes the inputs

"""ETRISReferringDetector: one box per expression, the expression read from the
data sample, the sentence embedding scored by the FCOS head."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.registry import MODELS, DefaultScope
from mmengine.structures import InstanceData

CONFIG = 'configs/etris_refdet/refdet-fcos_etris-vitb16_simplefpn_50e_refcoco.py'


@pytest.fixture
def model(tiny_det_config):
    cfg = tiny_det_config(CONFIG)
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
    return model


def _batch(texts, with_boxes=True):
    samples = []
    for text in texts:
        sample = DetDataSample(metainfo=dict(text=text, img_shape=(64, 96), pad_shape=(64, 96),
                                             ori_shape=(128, 192), scale_factor=(0.5, 0.5)))
        if with_boxes:
            sample.gt_instances = InstanceData(bboxes=torch.tensor([[10., 8., 40., 30.]]),
                                               labels=torch.tensor([0]))
        samples.append(sample)
    images = torch.randn(len(texts), 3, 64, 96, generator=torch.Generator().manual_seed(0))
    return images, samples


def test_trains_against_the_referred_box(model):
    assert model.backbone.class_names is None and model.bbox_head.num_classes == 1
    images, samples = _batch(['the red circle', 'the square on the left'])
    losses = model.loss(images, samples)
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.bridger.stages['0'].text_in.weight.grad.abs().sum() > 0


def test_predicts_one_box_per_expression_at_the_original_size(model):
    model.eval()
    images, samples = _batch(['the red circle', 'the square on the left', 'blue thing'],
                             with_boxes=False)
    with torch.no_grad():
        results = model.predict(images, samples)
    for result in results:
        assert len(result.pred_instances) == 1
        box = result.pred_instances.bboxes[0]
        assert 0 <= box[0] <= box[2] <= 192 and 0 <= box[1] <= box[3] <= 128
    # The same image with another expression scores its locations differently.
    same_image = images[:1].expand(2, -1, -1, -1)
    with torch.no_grad():
        scores = model._forward(same_image, _batch(['the red circle', 'the square'], False)[1])[0]
    assert not torch.allclose(scores[0][0], scores[0][1])


def test_samples_without_an_expression_are_refused(model):
    images, samples = _batch(['the red circle'])
    samples[0].set_metainfo(dict(text=None))
    with pytest.raises(ValueError, match="metainfo\\['text'\\]"):
        model.loss(images, samples)
    # mmdet's extract_feat(batch_inputs): images alone have no features here.
    with pytest.raises(ValueError, match="metainfo\\['text'\\]"):
        model.extract_feat(images)


def test_multi_target_keeps_every_box_above_the_threshold_and_may_keep_none(model):
    model.eval()
    images, samples = _batch(['all the circles', 'the purple star'], with_boxes=False)
    settings = dict(multi_target=True, score_thr=0.0, max_per_img=4,
                    nms=dict(type='nms', iou_threshold=0.99))
    with torch.no_grad():
        for cfg in (model.test_cfg, model.bbox_head.test_cfg):
            cfg.update(settings)
        several = model.predict(images, [s.clone() for s in samples])
        for cfg in (model.test_cfg, model.bbox_head.test_cfg):
            cfg.update(score_thr=1.1)  # above any sigmoid score
        none = model.predict(images, [s.clone() for s in samples])
    assert [len(r.pred_instances) for r in several] == [4, 4]
    assert [len(r.pred_instances) for r in none] == [0, 0]


def test_multi_target_checks_the_final_scores_against_the_threshold(model):
    """mmdet's FCOS head applies score_thr to the class scores, before it
    weighs each by its centerness; the detector keeps exactly the boxes whose
    final score reaches score_thr."""
    model.eval()
    images, samples = _batch(['all the circles'], with_boxes=False)
    model.test_cfg.update(multi_target=True, score_thr=0.0, max_per_img=1000,
                          nms=dict(type='nms', iou_threshold=0.99))
    assert model.bbox_head.test_cfg is model.test_cfg  # as a config builds them
    with torch.no_grad():
        every_box = model.bbox_head.predict(model.extract_feat(images, samples),
                                            [s.clone() for s in samples])[0]
        threshold = float(every_box.scores.median())
        model.test_cfg.update(score_thr=threshold)
        kept = model.predict(images, [s.clone() for s in samples])[0].pred_instances
    assert 0 < len(kept) < len(every_box)
    assert len(kept) == int((every_box.scores >= threshold).sum())
    assert bool((kept.scores >= threshold).all())

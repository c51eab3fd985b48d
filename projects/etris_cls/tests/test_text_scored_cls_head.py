"""TextScoredClsHead: CLIP-style logits, cross-entropy and predictions,
checked against a hand computation on the demo model's features."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement

from mmris.registry import MODELS


@pytest.fixture
def demo_model(cls_demo_config):
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(cls_demo_config).model)
    model.init_weights()
    return model.eval()


def test_logits_loss_and_predictions_by_hand(demo_model):
    head = demo_model.head
    with torch.no_grad():
        head.logit_scale.fill_(math.log(20.))
        features = demo_model.extract_feat(torch.randn(3, 3, 32, 32))
        logits = head(features)
    pooled, texts = features.pooled, features.text.embeddings
    assert logits.shape == (3, 8) and texts.shape == (3, 8, 64)
    for b in range(3):
        for k in range(8):
            cosine = float(pooled[b] @ texts[b, k] / (pooled[b].norm() * texts[b, k].norm()))
            assert float(logits[b, k]) == pytest.approx(20. * cosine, rel=1e-4, abs=1e-5)

    labels = [2, 0, 7]
    samples = [BaseDataElement(gt_label=torch.tensor([label])) for label in labels]
    with torch.no_grad():
        loss = head.loss(features, samples)['loss_cls']
    by_hand = -sum(float(logits[b, label]) - math.log(float(logits[b].exp().sum()))
                   for b, label in enumerate(labels)) / 3
    assert float(loss) == pytest.approx(by_hand, rel=1e-5)

    with torch.no_grad():
        predicted = head.predict(features, samples)
    for b, sample in enumerate(predicted):
        probabilities = logits[b].exp() / logits[b].exp().sum()
        torch.testing.assert_close(sample.pred_score, probabilities)
        assert int(sample.pred_label) == int(logits[b].argmax())
        assert int(sample.gt_label) == labels[b]


def test_logit_scale_starts_at_clip_init_and_is_capped_at_100(demo_model):
    head = demo_model.head
    assert float(head.logit_scale.detach().exp()) == pytest.approx(1 / 0.07)
    with torch.no_grad():
        features = demo_model.extract_feat(torch.randn(1, 3, 32, 32))
        head.logit_scale.fill_(10.)
        capped = head(features)
        head.logit_scale.fill_(math.log(100.))
        torch.testing.assert_close(capped, head(features))


@pytest.mark.parametrize('backbone, message', [
    (dict(out_pooled=False, out_indices=(-1, )), 'set out_pooled=True'),
    (dict(classes=None), 'set model.backbone.classes'),
    (dict(text_encoder=dict(embed_dim=48)), 'pooled image embedding has 64 channels but the '
     'class embeddings 48'),
])
def test_backbones_it_cannot_score_are_refused(cls_demo_config, backbone, message):
    cfg = Config.fromfile(cls_demo_config)
    cfg.merge_from_dict(dict(model=dict(backbone=backbone)))
    with pytest.raises(ValueError, match=message):
        MODELS.build(cfg.model)

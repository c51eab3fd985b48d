"""RegionTextScorer: cosine scores with a learned scale and bias, checked by hand."""
import math

import pytest
import torch

from mmris.models.layers import RegionTextScorer


def _hand_logit(scorer, region, text):
    """exp(s) * cos(region, W t + c) + b, written out."""
    projected = text @ scorer.text_proj.weight.t() + scorer.text_proj.bias
    cosine = (region @ projected) / (region.norm() * projected.norm())
    bias = 0. if scorer.bias is None else scorer.bias
    return scorer.logit_scale.exp() * cosine + bias


def test_initial_scale_and_focal_prior_bias():
    scorer = RegionTextScorer(text_channels=6, embed_channels=4, prior_prob=0.01)
    assert scorer.logit_scale.exp().item() == pytest.approx(1 / 0.07)
    # sigmoid(b) is the prior probability
    assert torch.sigmoid(scorer.bias).item() == pytest.approx(0.01)
    assert RegionTextScorer(6, 4, prior_prob=None).bias is None


def test_dense_scores_follow_mmdet_anchor_major_layout():
    torch.manual_seed(0)
    scorer = RegionTextScorer(text_channels=6, embed_channels=4)
    with torch.no_grad():
        scorer.logit_scale.fill_(math.log(3.))
        scorer.bias.fill_(-0.5)
    b, a, k, h, w = 2, 3, 5, 2, 3
    embeddings = torch.randn(b, a * 4, h, w)
    texts = torch.randn(b, k, 6)
    logits = scorer.score_maps(embeddings, texts)
    assert logits.shape == (b, a * k, h, w)
    for image, anchor, text, y, x in [(0, 0, 0, 0, 0), (1, 2, 4, 1, 2), (0, 1, 3, 1, 0)]:
        region = embeddings[image, anchor * 4:(anchor + 1) * 4, y, x]
        expected = _hand_logit(scorer, region, texts[image, text])
        torch.testing.assert_close(logits[image, anchor * k + text, y, x], expected)


def test_roi_scores_use_the_texts_of_their_own_image():
    torch.manual_seed(1)
    scorer = RegionTextScorer(text_channels=6, embed_channels=4, prior_prob=None)
    regions = torch.randn(5, 4)
    texts = torch.randn(3, 2, 6)
    image_index = torch.tensor([2, 0, 0, 1, 2])
    logits = scorer.scores(regions, texts, image_index)
    assert logits.shape == (5, 2)
    for roi in range(5):
        for text in range(2):
            expected = _hand_logit(scorer, regions[roi], texts[image_index[roi], text])
            torch.testing.assert_close(logits[roi, text], expected)


def test_no_parameter_depends_on_the_number_of_texts():
    scorer = RegionTextScorer(text_channels=6, embed_channels=4)
    embeddings = torch.randn(1, 4, 2, 2)
    three = scorer.score_maps(embeddings, torch.randn(1, 3, 6))
    seven = scorer.score_maps(embeddings, torch.randn(1, 7, 6))
    assert three.shape[1] == 3 and seven.shape[1] == 7

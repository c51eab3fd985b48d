"""TextRoIHead and TextShared2FCBBoxHead: RoIs scored against the texts of
their own image, a learned background embedding, mmdet's losses."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.roi_heads import StandardRoIHead
from mmengine.registry import DefaultScope

from mmris.models.roi_heads import TextRoIHead, TextShared2FCBBoxHead
from mmris.models.utils import BridgedFeatures, TextFeatures

BOX_HEAD = dict(in_channels=8, text_channels=12, embed_channels=6, fc_out_channels=16,
                roi_feat_size=7)


@pytest.fixture(autouse=True)
def mmdet_scope():
    """mmdet's heads build their coders, losses and RoI layers in mmdet's scope."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def _cosine_logit(head, region, vector):
    return head.region_text.logit_scale.exp() * F.cosine_similarity(region, vector, dim=0)


def test_box_head_scores_classes_and_background_by_hand():
    torch.manual_seed(0)
    head = TextShared2FCBBoxHead(num_classes=3, **BOX_HEAD).eval()
    rois = torch.randn(4, 8, 7, 7)
    texts = torch.randn(2, 3, 12)
    image_index = torch.tensor([1, 0, 1, 1])
    cls_score, bbox_pred = head(rois, texts, image_index)
    assert cls_score.shape == (4, 4) and bbox_pred.shape == (4, 4)  # class-agnostic boxes
    shared = rois.flatten(1)
    for fc in head.shared_fcs:
        shared = F.relu(fc(shared))
    embeddings = head.fc_cls(shared)
    proj = head.region_text.text_proj
    for roi in range(4):
        for k in range(3):
            text = proj(texts[image_index[roi], k])
            torch.testing.assert_close(cls_score[roi, k], _cosine_logit(head, embeddings[roi], text))
        torch.testing.assert_close(cls_score[roi, 3],
                                   _cosine_logit(head, embeddings[roi], head.background_embedding))


def test_box_head_refuses_what_would_tie_weights_to_the_classes():
    with pytest.raises(ValueError, match='reg_class_agnostic=True'):
        TextShared2FCBBoxHead(num_classes=3, reg_class_agnostic=False, **BOX_HEAD)
    with pytest.raises(ValueError, match='softmax loss_cls'):
        TextShared2FCBBoxHead(num_classes=3, loss_cls=dict(type='CrossEntropyLoss',
                                                           use_sigmoid=True), **BOX_HEAD)


def test_roi_head_gives_each_roi_its_own_images_texts():
    torch.manual_seed(0)
    roi_head = TextRoIHead(
        bbox_roi_extractor=dict(type='SingleRoIExtractor',
                                roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                                out_channels=8, featmap_strides=[4, 8]),
        bbox_head=dict(type='mmris.TextShared2FCBBoxHead', num_classes=2, **BOX_HEAD)).eval()
    assert isinstance(roi_head, StandardRoIHead)
    maps = [torch.randn(2, 8, 16, 16), torch.randn(2, 8, 8, 8)]
    texts = torch.randn(2, 2, 12)
    rois = torch.tensor([[0, 4., 4., 30., 30.], [1, 10., 2., 50., 40.], [1, 0., 0., 20., 20.]])
    before = roi_head._bbox_forward(BridgedFeatures(maps, TextFeatures(texts)), rois)
    assert before['cls_score'].shape == (3, 3)
    changed = texts.clone()
    changed[1] = torch.randn(2, 12)  # new texts for image 1 only
    after = roi_head._bbox_forward(BridgedFeatures(maps, TextFeatures(changed)), rois)
    torch.testing.assert_close(after['cls_score'][0], before['cls_score'][0])
    assert not torch.allclose(after['cls_score'][1:, :2], before['cls_score'][1:, :2])
    torch.testing.assert_close(after['cls_score'][:, 2], before['cls_score'][:, 2])  # background
    with pytest.raises(ValueError, match='built for 2 classes'):
        roi_head._bbox_forward(BridgedFeatures(maps, TextFeatures(torch.randn(2, 3, 12))), rois)

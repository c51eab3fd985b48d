"""TextRetinaHead and TextFCOSHead: mmdet's heads with the classification
conv replaced by region-text scores."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import FCOSHead, RetinaHead
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from mmris.models.dense_heads import TextFCOSHead, TextRetinaHead
from mmris.models.utils import BridgedFeatures, TextFeatures

STRIDES = [8, 16, 32]


@pytest.fixture(autouse=True)
def mmdet_scope():
    """mmdet heads build their anchor generators, coders and losses in mmdet's scope."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


TEST_CFG = ConfigDict(nms_pre=100, score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5),
                      max_per_img=20)
SMALL = dict(in_channels=16, text_channels=12, embed_channels=8, stacked_convs=1,
             feat_channels=16)


def _retina(num_classes=3, **kwargs):
    anchors = dict(type='AnchorGenerator', octave_base_scale=4, scales_per_octave=1,
                   ratios=[0.5, 1.0, 2.0], strides=STRIDES)
    train_cfg = dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                                   min_pos_iou=0, ignore_iof_thr=-1),
                     sampler=dict(type='PseudoSampler'), allowed_border=-1, pos_weight=-1)
    return TextRetinaHead(num_classes=num_classes, anchor_generator=anchors, train_cfg=train_cfg,
                          test_cfg=TEST_CFG, **dict(SMALL, **kwargs))


def _fcos(num_classes=3, **kwargs):
    return TextFCOSHead(num_classes=num_classes, strides=STRIDES, test_cfg=TEST_CFG,
                        regress_ranges=((-1, 16), (16, 32), (32, 1e8)),
                        norm_cfg=dict(type='GN', num_groups=4), **dict(SMALL, **kwargs))


def _features(num_texts=3, batch=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    maps = [torch.randn(batch, 16, 64 // s, 64 // s, generator=generator) for s in STRIDES]
    texts = torch.randn(batch, num_texts, 12, generator=generator)
    return BridgedFeatures(maps, TextFeatures(texts))


def _samples(batch=2):
    samples = []
    for index in range(batch):
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64), pad_shape=(64, 64),
                                             ori_shape=(64, 64), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[4., 6., 30., 28.], [30., 20., 60., 60.]]),
            labels=torch.tensor([index % 3, 2]))
        samples.append(sample)
    return samples


def _hand_cosine_logit(head, embedding, text):
    projected = text @ head.region_text.text_proj.weight.t() + head.region_text.text_proj.bias
    cosine = F.cosine_similarity(embedding, projected, dim=0)
    return head.region_text.logit_scale.exp() * cosine + head.region_text.bias


@pytest.mark.parametrize('build, parent', [(_retina, RetinaHead), (_fcos, FCOSHead)])
def test_scores_are_cosines_to_the_texts(build, parent):
    torch.manual_seed(0)
    head = build().eval()
    assert isinstance(head, parent)
    features = _features()
    cls_scores = head(features)[0]
    priors = head.num_base_priors if isinstance(head, RetinaHead) else 1
    assert [tuple(s.shape) for s in cls_scores] == [
        (2, priors * 3, 64 // s, 64 // s) for s in STRIDES]
    # The embedding the last classification conv gives at one location.
    level, image, y, x = 1, 1, 2, 3
    feature = features[level]
    for conv in head.cls_convs:
        feature = conv(feature)
    last = head.retina_cls if isinstance(head, RetinaHead) else head.conv_cls
    embedding = last(feature)[image, :, y, x]
    for prior in range(priors):
        for k in range(3):
            expected = _hand_cosine_logit(head, embedding[prior * 8:(prior + 1) * 8],
                                          features.text.embeddings[image, k])
            torch.testing.assert_close(cls_scores[level][image, prior * 3 + k, y, x], expected)


@pytest.mark.parametrize('build', [_retina, _fcos])
def test_trains_with_mmdet_losses(build):
    torch.manual_seed(0)
    head = build()
    losses = head.loss(_features(), _samples())
    total = sum(sum(value) if isinstance(value, list) else value for value in losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert head.region_text.text_proj.weight.grad.abs().sum() > 0
    assert head.region_text.bias.grad is not None


@pytest.mark.parametrize('build', [_retina, _fcos])
def test_class_list_changes_without_new_weights(build):
    torch.manual_seed(0)
    three = build(num_classes=3).eval()
    two = build(num_classes=2).eval()
    two.load_state_dict(three.state_dict())  # strict: no weight depends on K
    features = _features(num_texts=3)
    # The same texts in another order and without the middle class.
    kept = BridgedFeatures(list(features), TextFeatures(features.text.embeddings[:, [2, 0]]))
    scores3, scores2 = three(features)[0][0], two(kept)[0][0]
    priors = scores3.shape[1] // 3
    for prior in range(priors):
        torch.testing.assert_close(scores2[:, prior * 2], scores3[:, prior * 3 + 2])
        torch.testing.assert_close(scores2[:, prior * 2 + 1], scores3[:, prior * 3])
    results = two.predict(kept, _samples())
    assert all(int(result.labels.max()) < 2 for result in results if len(result))


def test_counts_are_the_arguments_given():
    head = TextFCOSHead(num_classes=4, in_channels=16, text_channels=12, strides=STRIDES,
                        stacked_convs=1, feat_channels=16, embed_channels=8, norm_cfg=None)
    assert (head.num_classes, head.in_channels, head.text_channels) == (4, 16, 12)
    assert head.region_text.text_proj.in_features == 12
    with pytest.raises(TypeError, match='text_channels'):
        TextFCOSHead(num_classes=4, in_channels=16, strides=STRIDES, norm_cfg=None)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match='sigmoid classification loss'):
        _retina(loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False))
    with pytest.raises(ValueError, match='leave cls_predictor_cfg out'):
        _fcos(cls_predictor_cfg=dict(type='NormedConv2d'))
    head = _fcos(num_classes=3)
    with pytest.raises(ValueError, match='built for 3 classes but the backbone gives 2'):
        head(_features(num_texts=2))
    with pytest.raises(TypeError, match='carries none'):
        head(tuple(_features()))

"""TextKernelHead: one dynamic kernel per class text, inside stock mmseg."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample

from mmris.models.decode_heads import TextKernelHead
from mmris.models.utils import BridgedFeatures, TextFeatures
from mmris.models.utils.class_vocabulary import set_vocabulary
from mmris.registry import MODELS

CONFIG = 'etris-vitb16_4xb4-80k_ade20k-512x512'
CLASSES = ['background', 'circle', 'square', 'triangle']


def seg_model(tiny_seg_config, classes=CLASSES, name=CONFIG):
    cfg = tiny_seg_config(name)
    set_vocabulary(cfg.model, classes)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


NUM_CLASSES = len(CLASSES)


def seg_batch(num_classes=NUM_CLASSES, size=64):
    """Images of a bright square on the left half of dark noise; labels 1
    there, 0 elsewhere (and a few 255 pixels, ignored)."""
    torch.manual_seed(1)
    inputs = torch.rand(2, 3, size, size) * 40
    labels = torch.zeros(2, 1, size, size, dtype=torch.long)
    inputs[:, :, 16:48, 4:28] += 180
    labels[:, :, 16:48, 4:28] = 1
    labels[:, :, :2] = 255
    samples = [SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                           pad_shape=(size, size)),
                             gt_sem_seg=PixelData(data=label)) for label in labels]
    return inputs, samples


def test_each_class_of_each_image_gets_its_own_kernel():
    torch.manual_seed(0)
    head = TextKernelHead(in_channels=16, channels=8, text_channels=12, num_classes=3).eval()
    x, texts = torch.randn(2, 16, 4, 4), torch.randn(2, 3, 12)
    with torch.no_grad():
        logits = head(BridgedFeatures([x], TextFeatures(texts)))
        assert logits.shape == (2, 3, 16, 16)
        features = head.vision_proj(x)
        for b in range(2):
            for k in range(3):
                params = head.text_proj(texts[b, k])
                kernel = params[:-1].reshape(1, 8, 3, 3)
                expected = F.conv2d(features[b:b + 1], kernel, params[-1:], padding=1)
                torch.testing.assert_close(logits[b:b + 1, k:k + 1], expected, atol=1e-5,
                                           rtol=1e-5)


def test_the_vocabulary_sets_the_class_count_and_the_widths_fit(tiny_seg_config):
    model = seg_model(tiny_seg_config)
    assert model.decode_head.num_classes == model.num_classes == len(CLASSES)
    assert model.decode_head.in_channels == model.neck.out_conv.conv.out_channels
    assert model.neck.sentence_proj.in_features == model.backbone.text_encoder.embed_dim


def test_k_class_logits_and_mmseg_prediction(tiny_seg_config):
    model = seg_model(tiny_seg_config).eval()
    inputs, samples = seg_batch()
    with torch.no_grad():
        logits = model(inputs, samples, mode='tensor')
        results = model(inputs, samples, mode='predict')
    assert logits.shape == (2, len(CLASSES), 16, 16)
    for result in results:
        assert result.seg_logits.data.shape == (len(CLASSES), 64, 64)
        assert result.pred_sem_seg.data.shape == (1, 64, 64)
        torch.testing.assert_close(result.pred_sem_seg.data[0],
                                   result.seg_logits.data.argmax(0))


def test_loss_falls_on_a_fixed_batch(tiny_seg_config):
    model = seg_model(tiny_seg_config)
    model.train()
    optim = OptimWrapper(torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3))
    inputs, samples = seg_batch()
    data = dict(inputs=list(inputs.to(torch.uint8)), data_samples=samples)
    losses = [model.train_step(data, optim)['decode.loss_ce'].item() for _ in range(10)]
    assert losses[-1] < losses[0] * 0.7, losses


def test_the_loss_is_mmseg_cross_entropy_ignoring_255(tiny_seg_config):
    model = seg_model(tiny_seg_config)
    logits = torch.randn(2, len(CLASSES), 16, 16)
    _, samples = seg_batch()
    loss = model.decode_head.loss_by_feat(logits, samples)['loss_ce']
    labels = torch.stack([s.gt_sem_seg.data[0] for s in samples])
    upsampled = F.interpolate(logits, size=(64, 64), mode='bilinear', align_corners=False)
    expected = F.cross_entropy(upsampled, labels, ignore_index=255)
    torch.testing.assert_close(loss, expected)


def test_another_vocabulary_changes_the_output_classes(tiny_seg_config):
    """The same weights segment with another class list: K follows it."""
    model = seg_model(tiny_seg_config)
    wider = seg_model(tiny_seg_config, classes=CLASSES + ['star', 'hexagon'])
    wider.load_state_dict(model.state_dict())
    inputs, samples = seg_batch()
    model.eval(), wider.eval()
    with torch.no_grad():
        narrow_logits = model(inputs, samples, mode='tensor')
        wide_logits = wider(inputs, samples, mode='tensor')
    assert narrow_logits.shape[1] == 4 and wide_logits.shape[1] == 6
    assert wider.num_classes == 6 and wider.out_channels == 6
    assert not torch.allclose(narrow_logits, wide_logits[:, :4])  # classes see each other


def test_iou_metric_consumes_the_predictions(tiny_seg_config):
    model = seg_model(tiny_seg_config).eval()
    inputs, samples = seg_batch()
    with torch.no_grad():
        results = model(inputs, samples, mode='predict')
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [result.to_dict() for result in results])
    computed = metric.compute_metrics(metric.results)
    # Recompute the pixel accuracy by hand (255 ignored).
    predictions = torch.stack([r.pred_sem_seg.data[0] for r in results])
    labels = torch.stack([s.gt_sem_seg.data[0] for s in samples])
    valid = labels != 255
    accuracy = (predictions[valid] == labels[valid]).float().mean().item() * 100
    assert computed['aAcc'] == pytest.approx(accuracy, abs=0.01)
    assert 0 <= computed['mIoU'] <= 100


def test_a_head_without_its_widths_does_not_build():
    with pytest.raises(TypeError, match="required positional arguments: 'in_channels', "
                                        "'text_channels', and 'num_classes'"):
        TextKernelHead(channels=8)


def test_a_vocabulary_of_one_class_is_refused(tiny_seg_config):
    """mmseg reads a one-class head as a binary mask (a sigmoid at 0.3), which
    a softmax over the class scores never trained for."""
    with pytest.raises(ValueError, match=r'TextKernelHead needs at least 2 classes, got 1.*'
                                         r'"background"'):
        seg_model(tiny_seg_config, classes=['triangle'])

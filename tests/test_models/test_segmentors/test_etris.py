"""ETRIS on the tiny versions of the three configs: modes, training, predict."""
import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.datasets.transforms import letterbox_matrices
from mmris.registry import MODELS


def batch(size=64, ori_shape=(30, 50)):
    """Two samples: images (2, 3, size, size) and data samples with text and masks."""
    torch.manual_seed(0)
    inputs = torch.randn(2, 3, size, size)
    samples = []
    for index, text in enumerate(['the red circle', 'the square on the left']):
        mask = torch.zeros(1, size, size)
        mask[:, 8 + 16 * index:40 + 16 * index, 10:50] = 1
        samples.append(SegDataSample(
            metainfo=dict(text=text, ori_shape=ori_shape, img_shape=(size, size),
                          inverse_affine_matrix=letterbox_matrices(ori_shape, size)[1]),
            gt_sem_seg=PixelData(data=mask)))
    return inputs, samples


def test_forward_in_all_three_modes(tiny_etris_cfg):
    model = MODELS.build(tiny_etris_cfg.model)
    inputs, samples = batch()
    model.train()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_mask'} and losses['loss_mask'].requires_grad
    model.eval()
    with torch.no_grad():
        logits = model(inputs, samples, mode='tensor')
        results = model(inputs, samples, mode='predict')
    assert logits.shape == (2, 1, 16, 16)
    for result in results:
        assert result.pred_sem_seg.data.shape == (1, 30, 50)
        assert result.pred_sem_seg.data.dtype == torch.int64
        assert set(result.pred_sem_seg.data.unique().tolist()) <= {0, 1}
        prob = result.pred_prob.data
        assert prob.shape == (1, 30, 50) and prob.dtype == torch.float32
        assert torch.equal(result.pred_sem_seg.data, (prob > 0.35).long())


def test_train_step_lowers_the_loss_and_keeps_frozen_weights(tiny_etris_cfg):
    model = MODELS.build(tiny_etris_cfg.model)
    model.init_weights()
    model.train()
    frozen = {name: p.detach().clone() for name, p in model.named_parameters() if not p.requires_grad}
    trainable = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
    assert frozen and trainable
    optim = OptimWrapper(torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3))
    inputs, samples = batch()
    data = dict(inputs=list((inputs * 40 + 120).clamp(0, 255).to(torch.uint8)), data_samples=samples)
    losses = [model.train_step(data, optim)['loss_mask'].item() for _ in range(8)]
    assert losses[-1] < losses[0] * 0.8, losses
    for name, value in frozen.items():
        assert torch.equal(value, dict(model.named_parameters())[name]), name
    changed = [name for name, p in model.named_parameters()
               if name in trainable and not torch.equal(trainable[name], p)]
    assert any('bridger' in n for n in changed) and any('positional_embedding' in n for n in changed)


def test_predict_follows_the_reference_evaluation(tiny_config):
    """sigmoid -> bicubic (align_corners) to the input -> inverse letterbox
    (bicubic, border 0) to the original size -> clipped to [0, 1] -> > 0.35,
    computed here by hand."""
    cfg = tiny_config('vitb')
    cfg.model.test_cfg.mask_threshold = 0.4
    model = MODELS.build(cfg.model).eval()
    ys, xs = torch.meshgrid(torch.linspace(-3, 3, 16), torch.linspace(-4, 2, 16), indexing='ij')
    logits = (xs + ys).expand(2, 1, 16, 16).contiguous()
    model.encode_decode = lambda inputs, samples: logits
    inputs, samples = batch(ori_shape=(30, 50))
    results = model.predict(inputs, samples)

    prob = torch.sigmoid(logits[0:1])
    prob = F.interpolate(prob, size=(64, 64), mode='bicubic', align_corners=True)[0, 0].numpy()
    scale = 64 / 50  # the long side fits; the short one is centred
    forward = np.array([[scale, 0, 0], [0, scale, (64 - 30 * scale) / 2]])
    expected = np.clip(cv2.warpAffine(prob, cv2.invertAffineTransform(forward), (50, 30),
                                      flags=cv2.INTER_CUBIC, borderValue=0), 0, 1)
    np.testing.assert_allclose(results[0].pred_prob.data[0].numpy(), expected, atol=1e-5)
    agreement = (results[0].pred_sem_seg.data[0].numpy() == (expected > 0.4)).mean()
    assert agreement > 0.999
    assert 0.1 < (expected > 0.4).mean() < 0.9


def test_probabilities_stay_in_0_1_and_masks_are_the_thresholded_warp():
    """A sharp edge in the logits makes both cubic steps overshoot; the
    probability is clipped to [0, 1] and the mask is what the unclipped
    warp gives at every threshold in (0, 1), computed here by hand."""
    from mmris.models.segmentors.etris import masks_from_logits
    logits = torch.full((1, 1, 16, 16), -12.)
    logits[..., 4:11, 5:12] = 12.
    ori_shape, size = (30, 50), 64
    forward, inverse = letterbox_matrices(ori_shape, size)
    prob = F.interpolate(logits.sigmoid(), size=(size, size), mode='bicubic',
                         align_corners=True)[0, 0].numpy()
    unclipped = cv2.warpAffine(prob, np.asarray(inverse, np.float64), (50, 30),
                               flags=cv2.INTER_CUBIC, borderValue=0)
    assert unclipped.min() < -0.01 and unclipped.max() > 1.01  # the overshoot is there
    for threshold in (0.01, 0.35, 0.5, 0.99):
        sample = SegDataSample(metainfo=dict(ori_shape=ori_shape, inverse_affine_matrix=inverse))
        (result,) = masks_from_logits(logits, [sample], (size, size), threshold)
        prob = result.pred_prob.data[0].numpy()
        assert prob.min() >= 0 and prob.max() <= 1
        np.testing.assert_allclose(prob, np.clip(unclipped, 0, 1), atol=1e-6)
        np.testing.assert_array_equal(result.pred_sem_seg.data[0].numpy(),
                                      (unclipped > threshold).astype(np.int64))


def test_missing_text_or_inverse_matrix_is_explained(tiny_config):
    model = MODELS.build(tiny_config('vitb').model).eval()
    inputs, samples = batch()
    bare = [SegDataSample(metainfo=dict(ori_shape=(30, 50))) for _ in samples]
    with pytest.raises(ValueError, match="metainfo\\['text'\\]"):
        model.predict(inputs, bare)
    no_matrix = [SegDataSample(metainfo=dict(text='a', ori_shape=(30, 50))) for _ in samples]
    with pytest.raises(ValueError, match='inverse_affine_matrix'):
        model.predict(inputs, no_matrix)
    # mmseg's extract_feat(inputs): images alone have no features here.
    with pytest.raises(ValueError, match="ETRIS needs each data sample to carry its "
                       "expression as metainfo\\['text'\\]"):
        model.extract_feat(inputs)
    assert model.extract_feat(inputs, samples)[0].shape[0] == len(samples)

"""The global alignment decoder and the dynamic-kernel projector."""
import math

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.models.decode_heads import ProjectorHead
from mmris.models.layers.global_alignment_decoder import sine_positions_1d, sine_positions_2d
from mmris.models.utils import BridgedFeatures, TextFeatures

DECODER = dict(type='GlobalAlignmentDecoder', num_layers=2, d_model=32, num_heads=4,
               ffn_channels=32, dropout=0.1)


def test_sine_positions_closed_form():
    pos = sine_positions_1d(8, 5)
    assert pos.shape == (5, 1, 8)
    assert math.isclose(pos[3, 0, 2].item(), math.sin(3 / 10000 ** (2 / 8)), rel_tol=1e-6)
    assert math.isclose(pos[3, 0, 3].item(), math.cos(3 / 10000 ** (2 / 8)), rel_tol=1e-6)
    pos = sine_positions_2d(8, 2, 3)  # half = 4 channels for x, 4 for y
    assert pos.shape == (6, 1, 8)
    row, col = 1, 2
    token = pos[row * 3 + col, 0]
    assert math.isclose(token[2].item(), math.sin(col / 10000 ** (2 / 4)), rel_tol=1e-6)
    assert math.isclose(token[5].item(), math.cos(row / 10000 ** (0 / 4)), rel_tol=1e-6)


def test_projector_applies_each_sample_its_own_kernel():
    torch.manual_seed(0)
    head = ProjectorHead(decoder=DECODER, text_channels=24, in_channels=32, channels=8).eval()
    x, words = torch.randn(3, 32, 4, 4), torch.randn(3, 6, 32)
    padding = torch.zeros(3, 6, dtype=torch.bool)
    padding[:, 4:] = True
    sentence = torch.randn(3, 24)
    with torch.no_grad():
        logits = head(BridgedFeatures([x], TextFeatures(sentence, words, padding)))
        assert logits.shape == (3, 1, 16, 16)
        features = head.vision_proj(head.decoder(x, words, padding))
        params = head.text_proj(sentence)
        for i in range(3):
            kernel = params[i, :-1].reshape(1, 8, 3, 3)
            expected = F.conv2d(features[i:i + 1], kernel, params[i, -1:], padding=1)
            torch.testing.assert_close(logits[i:i + 1], expected, atol=1e-5, rtol=1e-5)


def test_padded_words_do_not_reach_the_decoder():
    torch.manual_seed(0)
    head = ProjectorHead(decoder=DECODER, text_channels=24, in_channels=32, channels=8).eval()
    x, words = torch.randn(1, 32, 4, 4), torch.randn(1, 6, 32)
    padding = torch.tensor([[False] * 4 + [True] * 2])
    changed = words.clone()
    changed[:, 4:] = torch.randn(1, 2, 32)
    with torch.no_grad():
        torch.testing.assert_close(head.decoder(x, words, padding), head.decoder(x, changed, padding))


def test_loss_is_mean_bce_against_the_nearest_resized_mask():
    head = ProjectorHead(decoder=DECODER, text_channels=24, in_channels=32, channels=8)
    logits = torch.randn(2, 1, 4, 4)
    masks = [torch.rand(1, 16, 16) for _ in range(2)]
    target = F.interpolate(torch.stack(masks), (4, 4), mode='nearest')
    samples = [SegDataSample(gt_sem_seg=PixelData(data=mask)) for mask in masks]
    loss = head.loss_by_feat(logits, samples)['loss_mask']
    torch.testing.assert_close(loss, F.binary_cross_entropy_with_logits(logits, target))


def test_building_the_head_draws_only_its_own_weights():
    """mmseg's BaseDecodeHead builds a conv_seg that the head deletes; its
    draw must not move the global random stream, or every part built after
    the head, and every init_weights, starts from other random numbers than
    ETRIS did before the head became a BaseDecodeHead (other initial
    weights, another training run from the same seed)."""
    from mmris.models.decode_heads.dynamic_kernels import upsampling_projection
    from mmris.registry import MODELS
    torch.manual_seed(0)
    ProjectorHead(decoder=DECODER, text_channels=24, in_channels=32, channels=8)
    after_head = torch.rand(4)
    torch.manual_seed(0)  # the head's own layers, in the order it builds them
    MODELS.build(dict(DECODER, d_model=32))
    upsampling_projection(32, 8, dict(type='BN'))
    torch.nn.Linear(24, 8 * 9 + 1)
    assert torch.equal(after_head, torch.rand(4))

"""The vision encoders' pooled image embedding, checked against OpenAI
CLIP's definitions computed by hand (``AttentionPool2d``: the output for a
mean-token query over mean token + positions; ``VisionTransformer``: the
class token after ``ln_post`` and ``proj``)."""
import math

import torch
import torch.nn.functional as F

from mmris.models.encoders import CLIPModifiedResNet, CLIPVisionTransformer


def run_tower(encoder, images):
    state = encoder.embed(images)
    for stage in range(encoder.num_stages):
        state = encoder.forward_stage(stage, state)
    return state


def openai_attention_pool(pool, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """OpenAI's attention pool written out: ``x`` (B, C, H, W), ``pos``
    (1 + H*W, C) -> the output at the mean token (B, output_dim)."""
    b, c, h, w = x.shape
    tokens = torch.cat([x.mean((2, 3))[:, None], x.flatten(2).transpose(1, 2)], 1) + pos
    heads, head_dim = pool.num_heads, c // pool.num_heads
    q = F.linear(tokens[:, :1], pool.q_proj.weight, pool.q_proj.bias)
    k = F.linear(tokens, pool.k_proj.weight, pool.k_proj.bias)
    v = F.linear(tokens, pool.v_proj.weight, pool.v_proj.bias)
    split = lambda t: t.reshape(b, -1, heads, head_dim).transpose(1, 2)  # noqa: E731
    weights = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(head_dim), -1)
    out = (weights @ split(v)).transpose(1, 2).reshape(b, c)
    return F.linear(out, pool.c_proj.weight, pool.c_proj.bias)


def tiny_resnet():
    torch.manual_seed(0)
    return CLIPModifiedResNet(layers=(1, 1, 1, 1), width=8, output_dim=24, heads=2,
                              pretrain_size=64).eval()


def test_resnet_pooled_is_openai_attention_pool_at_the_release_grid():
    encoder = tiny_resnet()
    with torch.no_grad():
        state = run_tower(encoder, torch.randn(3, 3, 64, 64))  # layer4: 2x2, the release grid
        pooled = encoder.pooled(state)
        expected = openai_attention_pool(encoder.attnpool, state,
                                         encoder.attnpool.positional_embedding)
    assert pooled.shape == (3, 24)
    torch.testing.assert_close(pooled, expected, atol=1e-5, rtol=1e-5)


def test_resnet_pooled_resizes_the_patch_positions_and_keeps_the_class_row():
    encoder = tiny_resnet()
    pos = encoder.attnpool.positional_embedding.detach()
    grid = pos[1:].reshape(1, 2, 2, -1).permute(0, 3, 1, 2)
    resized = F.interpolate(grid, size=(3, 4), mode='bicubic', align_corners=False)
    pos_3x4 = torch.cat([pos[:1], resized.flatten(2)[0].T])
    with torch.no_grad():
        state = run_tower(encoder, torch.randn(2, 3, 96, 128))  # layer4: 3x4
        expected = openai_attention_pool(encoder.attnpool, state, pos_3x4)
        torch.testing.assert_close(encoder.pooled(state), expected, atol=1e-5, rtol=1e-5)


def test_resnet_pooled_is_not_the_spatial_map():
    """ETRIS' spatial pool (``finalize``) is another function: no mean token,
    and a ``connect`` branch with ReLU."""
    encoder = tiny_resnet()
    with torch.no_grad():
        state = run_tower(encoder, torch.randn(2, 3, 64, 64))
        spatial = encoder.finalize(state)
    assert spatial.shape == (2, 24, 2, 2)
    assert not torch.allclose(spatial.mean((2, 3)), encoder.pooled(state))


def test_vit_pooled_is_the_class_token_after_ln_post_and_proj():
    torch.manual_seed(0)
    encoder = CLIPVisionTransformer(input_size=64, patch_size=16, width=32, layers=3,
                                    heads=2, output_dim=24).eval()
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        pooled = encoder.pooled(run_tower(encoder, images))
        # OpenAI's VisionTransformer.forward, step by step.
        x = encoder.conv1(images).flatten(2).transpose(1, 2)
        x = torch.cat([encoder.class_embedding.expand(2, 1, -1), x], 1)
        x = encoder.ln_pre(x + encoder.positional_embedding)
        x = encoder.transformer.forward_blocks(x.transpose(0, 1), 0, 3).transpose(0, 1)
        expected = encoder.ln_post(x[:, 0]) @ encoder.proj
    assert pooled.shape == (2, 24)
    torch.testing.assert_close(pooled, expected, atol=1e-5, rtol=1e-5)


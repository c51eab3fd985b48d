"""The bridged dual encoder built from the three ETRIS configs (tiny)."""
import pytest
import torch

from mmris.registry import MODELS


def test_outputs_and_frozen_encoders(tiny_etris_cfg):
    backbone = MODELS.build(tiny_etris_cfg.model.backbone)
    token_ids = backbone.tokenize(['the red circle', 'a square left of the blue one'])
    features = backbone(torch.randn(2, 3, 64, 64), token_ids)
    resnet = 'ModifiedResNet' in tiny_etris_cfg.model.backbone.vision_encoder.type
    expected = [(64, 8), (128, 4), (32, 2)] if resnet else [(32, 4), (32, 4), (32, 4)]
    assert [(m.shape[1], m.shape[-1]) for m in features] == expected
    text = features.text
    assert text.words.shape == (2, 17, 32) and text.embeddings.shape == (2, 32)
    assert torch.equal(text.padding_mask, token_ids == 0)

    trainable = {name for name, p in backbone.named_parameters() if p.requires_grad}
    encoder_trainable = {n for n in trainable if not n.startswith('bridger.')}
    assert encoder_trainable and all('positional_embedding' in n for n in encoder_trainable)
    assert all(p.requires_grad for p in backbone.bridger.parameters())


def test_freeze_positional_embedding_for_strict_pet(tiny_etris_cfg):
    backbone = MODELS.build(dict(tiny_etris_cfg.model.backbone, freeze_positional_embedding=True))
    trainable = [name for name, p in backbone.named_parameters() if p.requires_grad]
    assert trainable and all(name.startswith('bridger.') for name in trainable)


def test_text_is_a_plain_input(tiny_config):
    """The same backbone runs on any list of texts, e.g. class names."""
    backbone = MODELS.build(tiny_config('vitb').model.backbone).eval()
    classes = ['background', 'person', 'dog']
    with torch.no_grad():
        features = backbone(torch.randn(3, 3, 64, 64), backbone.tokenize(classes))
    assert features.text.embeddings.shape == (3, 32)


def test_causal_text_tower_ignores_later_tokens(tiny_config):
    """Word features at a position depend on earlier tokens only."""
    text = MODELS.build(tiny_config('vitb').model.backbone.text_encoder).eval()
    ids = text.tokenize(['a red circle on the left', 'a red circle on the right'])
    with torch.no_grad():
        state = text.embed(ids)
        for stage in range(text.num_stages):
            state = text.forward_stage(stage, state)
        words, sentence = text.finalize(state, ids)
    same = (ids[0] == ids[1]).tolist().index(False)  # first differing token
    torch.testing.assert_close(words[0, :same], words[1, :same])
    assert not torch.allclose(words[0, same], words[1, same])
    eot = ids.argmax(-1)
    torch.testing.assert_close(sentence, words[torch.arange(2), eot] @ text.text_projection)


def test_stage_count_mismatch_is_refused(tiny_config):
    cfg = tiny_config('vitb').model.backbone
    cfg.text_encoder.num_stages = 1
    with pytest.raises(ValueError, match='num_stages'):
        MODELS.build(cfg)


def test_norm_eval_keeps_the_frozen_batch_norms_in_eval_mode(tiny_config):
    from torch.nn.modules.batchnorm import _BatchNorm
    cfg = tiny_config('rn50').model.backbone
    for norm_eval in (False, True):
        model = MODELS.build(dict(cfg, norm_eval=norm_eval)).train()
        norms = [m for m in model.vision_encoder.modules() if isinstance(m, _BatchNorm)]
        assert norms and all(m.training != norm_eval for m in norms)
        before = norms[0].running_mean.clone()
        model(torch.randn(2, 3, 64, 64), model.tokenize(['a', 'b']))
        assert torch.equal(norms[0].running_mean, before) == norm_eval
    assert model.bridger.training  # only the encoders' norms


def _training_step(model, seed: int = 3):
    """Loss, gradients and buffers of one loss + backward of ``model`` on a
    fixed batch of two."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(2, 3, 64, 64, generator=generator)
    samples = [SegDataSample(metainfo=dict(text=text), gt_sem_seg=PixelData(
        data=(torch.rand(1, 64, 64, generator=generator) > 0.5).float()))
        for text in ('the red dog', 'the one on the left')]
    model.train()
    torch.manual_seed(seed)
    loss = model.loss(images, samples)['loss_mask']
    loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), grads, {name: b.clone() for name, b in model.named_buffers()}


def _twins(cfg, **changes):
    """Two models of ``cfg``, the second with ``changes`` merged, same weights."""
    torch.manual_seed(0)
    plain = MODELS.build(cfg.model)
    cfg.merge_from_dict(changes)
    switched = MODELS.build(cfg.model)
    switched.load_state_dict(plain.state_dict())
    return plain, switched


def test_activation_checkpointing_gives_the_same_step(tiny_etris_cfg):
    """with_cp: same loss, gradients (positional embeddings included) and
    BatchNorm statistics, the towers' running statistics counted once."""
    plain, checkpointed = _twins(tiny_etris_cfg, **{'model.backbone.with_cp': True})
    loss, grads, buffers = _training_step(plain)
    cp_loss, cp_grads, cp_buffers = _training_step(checkpointed)
    torch.testing.assert_close(cp_loss, loss, rtol=0, atol=1e-6)
    assert set(cp_grads) == set(grads)
    assert any('positional_embedding' in name for name in grads)
    for name, grad in grads.items():
        torch.testing.assert_close(cp_grads[name], grad, rtol=1e-5, atol=1e-6, msg=name)
    for name, buffer in buffers.items():
        torch.testing.assert_close(cp_buffers[name], buffer, rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize('backbone', ['rn50', 'rn101'])
def test_channels_last_resnet_gives_the_same_step(tiny_config, backbone):
    """The ResNet configs run channels-last; contiguous tensors give the same step."""
    cfg = tiny_config(backbone)
    assert cfg.model.backbone.vision_encoder.channels_last
    cfg.model.backbone.vision_encoder.channels_last = False
    plain, switched = _twins(cfg, **{'model.backbone.vision_encoder.channels_last': True})
    assert plain.backbone.vision_encoder.conv1.weight.is_contiguous()
    assert switched.backbone.vision_encoder.conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    loss, grads, buffers = _training_step(plain)
    cl_loss, cl_grads, cl_buffers = _training_step(switched)
    torch.testing.assert_close(cl_loss, loss, rtol=1e-5, atol=1e-5)
    for name, grad in grads.items():  # fp32 rounding only: 1e-4 of the largest entry
        torch.testing.assert_close(cl_grads[name], grad, rtol=0,
                                   atol=1e-6 + 1e-4 * float(grad.abs().max()), msg=name)
    for name, buffer in buffers.items():
        torch.testing.assert_close(cl_buffers[name], buffer, rtol=1e-4, atol=1e-5, msg=name)
    plain.eval(), switched.eval()
    images = torch.randn(2, 3, 64, 64)
    token_ids = plain.backbone.tokenize(['a cat', 'the dog'])
    with torch.no_grad():
        torch.testing.assert_close(switched.logits(images, token_ids),
                                   plain.logits(images, token_ids), rtol=1e-4, atol=1e-4)


def test_no_graph_before_the_first_fused_stage_without_trainable_positions(tiny_config):
    """Nothing before the first fusion trains once the positional embeddings
    are frozen, so the stages up to it record no graph; with them trainable
    (the reference) the towers record one, for their gradient."""
    cfg = tiny_config('vitb')
    cfg.model.backbone.bridger.fusion_stages = (1, 2)
    for frozen in (True, False):
        cfg.model.backbone.freeze_positional_embedding = frozen
        backbone = MODELS.build(cfg.model).backbone.train()
        recorded = []
        for encoder in (backbone.vision_encoder, backbone.text_encoder):
            forward_stage = encoder.forward_stage

            def record(index, state, forward_stage=forward_stage, recorded=recorded):
                out = forward_stage(index, state)
                tokens = out[0] if isinstance(out, tuple) else out
                recorded.append((index, tokens.requires_grad))
                return out

            encoder.forward_stage = record
        features = backbone(torch.randn(2, 3, 64, 64), backbone.tokenize(['a', 'b']))
        # Stages 0 and 1 run before the first fusion (after stage 1), stage 2 after.
        assert [grad for index, grad in recorded if index < 2] == [not frozen] * 4
        assert [grad for index, grad in recorded if index == 2] == [True] * 2
        features.text.embeddings.sum().backward()
        position = backbone.vision_encoder.positional_embedding
        assert (position.grad is None) is frozen

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

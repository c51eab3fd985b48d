"""HFVisionEncoder against the transformers models' own forward (tiny random
models written with save_pretrained; nothing is downloaded)."""
import json

import pytest
import torch
import transformers as hf

from mmris.models.encoders import HFVisionEncoder
from mmris.registry import MODELS

#: kind -> class and register tokens before the patches, from each model's paper.
PREFIX_TOKENS = {'clip': 1, 'siglip': 0, 'dinov2': 1, 'dinov2_with_registers': 5, 'vit': 1}
PATCH = {'clip': 8, 'siglip': 8, 'dinov2': 7, 'dinov2_with_registers': 7, 'vit': 8}


def reference_features(kind: str, directory: str, images: torch.Tensor):
    """transformers' own forward on ``images``: the hidden states after each
    block and the final patch features (B, H*W, D) (CLIP: post-LN and
    projected, as its image features; the others: the last hidden state)."""
    if kind == 'clip':
        model = hf.CLIPModel.from_pretrained(directory).eval()
        tower = model.vision_model
    elif kind == 'siglip':
        tower = hf.SiglipModel.from_pretrained(directory).eval().vision_model
    else:
        tower = hf.AutoModel.from_pretrained(directory).eval()
    kwargs = {} if kind.startswith('dinov2') else dict(interpolate_pos_encoding=True)
    with torch.no_grad():
        output = tower(images, output_hidden_states=True, **kwargs)
        patches = output.last_hidden_state[:, PREFIX_TOKENS[kind]:]
        if kind == 'clip':
            patches = model.visual_projection(tower.post_layernorm(patches))
    return output.hidden_states, patches


def run_stages(encoder: HFVisionEncoder, images: torch.Tensor):
    """Stage features after each stage and the final map, without Bridger."""
    with torch.no_grad():
        state = encoder.embed(images)
        features = []
        for stage in range(encoder.num_stages):
            state = encoder.forward_stage(stage, state)
            features.append(encoder.stage_features(state))
        return features, encoder.finalize(state)


def as_tokens(feature_map: torch.Tensor) -> torch.Tensor:
    return feature_map.flatten(2).transpose(1, 2)


@pytest.mark.parametrize('kind', sorted(PREFIX_TOKENS))
def test_equals_the_models_own_forward(kind, tiny_hf_dir):
    directory = tiny_hf_dir(kind)
    encoder = HFVisionEncoder(pretrained=directory, num_stages=2, fusion_layers=(0, 2))
    encoder.init_weights()
    patch = PATCH[kind]
    images = torch.randn(2, 3, 6 * patch, 5 * patch)  # not the model's own image size
    features, final = run_stages(encoder, images)
    hidden_states, patches = reference_features(kind, directory, images)
    prefix = PREFIX_TOKENS[kind]
    assert final.shape[-2:] == (6, 5) and features[0].shape[-2:] == (6, 5)
    assert (as_tokens(final) - patches).abs().max() <= 1e-5
    # after block 0 (fusion layer 0) and block 2 (the last, before the final norm)
    assert (as_tokens(features[0]) - hidden_states[1][:, prefix:]).abs().max() <= 1e-5
    assert (as_tokens(features[1]) - hidden_states[3][:, prefix:]).abs().max() <= 1e-5
    assert encoder.stage_channels == (32, 32)
    assert encoder.output_dim == final.shape[1] == (24 if kind == 'clip' else 32)


@pytest.mark.parametrize('kind', sorted(PREFIX_TOKENS))
def test_pooled_is_the_models_pooled_output(kind, tiny_hf_dir):
    directory = tiny_hf_dir(kind)
    encoder = HFVisionEncoder(pretrained=directory)
    encoder.init_weights()
    images = torch.randn(2, 3, 4 * PATCH[kind], 4 * PATCH[kind])
    with torch.no_grad():
        state = encoder.embed(images)
        for stage in range(encoder.num_stages):
            state = encoder.forward_stage(stage, state)
        pooled = encoder.pooled(state)
        if kind == 'clip':
            expected = hf.CLIPModel.from_pretrained(directory).eval().get_image_features(
                images).pooler_output  # CLIP's image features
        else:
            model = (hf.SiglipModel.from_pretrained(directory).vision_model if kind == 'siglip'
                     else hf.AutoModel.from_pretrained(directory))
            expected = model.eval()(images).pooler_output
    assert pooled.shape == (2, encoder.output_dim)
    assert (pooled - expected).abs().max() <= 1e-5


@pytest.mark.parametrize('kind', ['clip', 'dinov2_with_registers'])
def test_bridger_corrections_leave_class_and_register_tokens(kind, tiny_hf_dir):
    encoder = HFVisionEncoder(pretrained=tiny_hf_dir(kind))
    state = encoder.embed(torch.randn(1, 3, 32, 32))
    delta = torch.randn_like(encoder.stage_features(state))
    tokens, grid = encoder.add_to_features(state, delta)
    prefix = PREFIX_TOKENS[kind]
    assert torch.equal(tokens[:, :prefix], state[0][:, :prefix])
    torch.testing.assert_close(tokens[:, prefix:], state[0][:, prefix:] + as_tokens(delta))
    torch.testing.assert_close(encoder.stage_features((tokens, grid)),
                               encoder.stage_features(state) + delta)


def test_config_alone_builds_random_weights_of_that_architecture():
    encoder = HFVisionEncoder(config=dict(model_type='dinov2_with_registers', hidden_size=48,
                                          num_hidden_layers=6, num_attention_heads=2,
                                          patch_size=14, num_register_tokens=4))
    assert encoder.num_prefix_tokens == 5 and encoder.stage_channels == (48, 48, 48)
    assert encoder.stages == [(0, 2), (2, 4), (4, 6)]
    features, final = run_stages(encoder, torch.randn(1, 3, 56, 42))
    assert final.shape == (1, 48, 4, 3)


def test_frozen_in_the_backbone_except_positional_embeddings(tiny_hf_dir):
    backbone = MODELS.build(dict(
        type='BridgedDualEncoder',
        vision_encoder=dict(type='HFVisionEncoder', pretrained=tiny_hf_dir('dinov2_with_registers')),
        text_encoder=dict(type='CLIPTextEncoder', text_length=8, width=32, layers=3, heads=2,
                          embed_dim=32),
        bridger=dict(type='Bridger', d_model=16, interactor=dict(type='LightInteractor', num_heads=2))))
    trainable = [n for n, p in backbone.vision_encoder.named_parameters() if p.requires_grad]
    assert trainable == ['model.embeddings.position_embeddings']
    backbone.train()
    assert not backbone.vision_encoder.model.training  # no dropout in a frozen tower
    assert backbone.bridger.training


def test_bad_directories_name_the_supported_architectures(tmp_path):
    supported = 'clip, clip_vision_model, dinov2, dinov2_with_registers, siglip, siglip_vision_model, vit'
    with pytest.raises(FileNotFoundError, match='is not a directory'):
        HFVisionEncoder(pretrained=str(tmp_path / 'missing'))
    with pytest.raises(ValueError, match=f'no config.json.*supported architectures: {supported}'):
        HFVisionEncoder(pretrained=str(tmp_path))
    (tmp_path / 'config.json').write_text(json.dumps({'model_type': 'gpt2'}))
    with pytest.raises(ValueError, match=f"model_type='gpt2'.*supported architectures: {supported}"):
        HFVisionEncoder(pretrained=str(tmp_path))
    with pytest.raises(ValueError, match="model_type='bert'.*supported architectures: clip_vision_model"):
        HFVisionEncoder(config=dict(model_type='bert'))
    with pytest.raises(ValueError, match='needs `pretrained`.*or `config`'):
        HFVisionEncoder()


def test_config_that_disagrees_with_the_directory_is_refused(tiny_hf_dir):
    with pytest.raises(ValueError, match=r'it has patch_size=7 \(config says 14\)'):
        HFVisionEncoder(pretrained=tiny_hf_dir('dinov2'),
                        config=dict(model_type='dinov2', patch_size=14, hidden_size=32))


def test_directory_without_weights_is_refused(tiny_hf_dir, tmp_path):
    with open(f'{tiny_hf_dir("vit")}/config.json') as f:
        (tmp_path / 'config.json').write_text(f.read())
    encoder = HFVisionEncoder(pretrained=str(tmp_path))
    with pytest.raises(OSError, match='model.safetensors|pytorch_model.bin'):
        encoder.init_weights()


def test_config_builds_without_the_directory_until_weights_are_loaded(tmp_path):
    """A config names both: the model builds from ``config`` while the
    directory is absent (e.g. to count parameters); loading needs it."""
    missing = str(tmp_path / 'dinov2-base')
    encoder = HFVisionEncoder(pretrained=missing, config=dict(
        model_type='dinov2', hidden_size=32, num_hidden_layers=3, num_attention_heads=2))
    assert encoder.stage_channels == (32, 32, 32)
    with pytest.raises(FileNotFoundError, match='dinov2-base.*is not a directory.*pretrained=None'):
        encoder.init_weights()

"""Loading OpenAI-layout CLIP weights: TorchScript archives and state dicts."""
import pytest
import torch
from torch import nn

from mmris.models.backbones import BridgedDualEncoder
from mmris.models.encoders import CLIPModifiedResNet
from mmris.models.encoders.clip_vision_transformer import resize_patch_positions
from mmris.models.encoders.clip_weights import openai_clip_state_dict, save_clip_state_dict

VIT = dict(type='CLIPVisionTransformer', input_size=64, patch_size=16, width=32, layers=3,
           heads=2, output_dim=32)
RN = dict(type='CLIPModifiedResNet', layers=(1, 1, 1, 1), width=8, output_dim=32, heads=2,
          pretrain_size=64)
TEXT = dict(type='CLIPTextEncoder', text_length=8, context_length=16, width=32, layers=3,
            heads=2, embed_dim=32)
BRIDGER = dict(type='Bridger', d_model=16, interactor=dict(type='LightInteractor', num_heads=2))


def openai_state_dict(vision: nn.Module, text: nn.Module) -> dict:
    """OpenAI's layout, in fp16 like the release: ``visual.*`` + text keys + logit_scale."""
    state = {k: v for k, v in openai_clip_state_dict(vision, text).items()
             if not k.endswith('num_batches_tracked')}
    state['logit_scale'] = torch.tensor(4.6)
    return {k: v.half() for k, v in state.items()}


def build_backbone(vision_cfg: dict, clip_weights=None) -> BridgedDualEncoder:
    return BridgedDualEncoder(vision_encoder=vision_cfg, text_encoder=TEXT,
                              bridger=dict(BRIDGER, zoom_strides=(1, 1, 1) if 'patch_size' in vision_cfg
                                           else (2, 1, 2)),
                              clip_weights=clip_weights)


@pytest.mark.parametrize('vision_cfg', [VIT, RN], ids=['vit', 'resnet'])
def test_torchscript_archive_loads_into_both_towers(tmp_path, vision_cfg):
    torch.manual_seed(0)
    source = build_backbone(vision_cfg)
    weights = openai_state_dict(source.vision_encoder, source.text_encoder)
    archive = tmp_path / 'CLIP.pt'
    save_clip_state_dict(weights, archive)

    backbone = build_backbone(vision_cfg, clip_weights=str(archive))
    backbone.init_weights()
    for key, value in weights.items():
        if key == 'logit_scale':
            continue
        module = backbone.vision_encoder if key.startswith('visual.') else backbone.text_encoder
        loaded = module.state_dict()[key.removeprefix('visual.')]
        assert torch.equal(loaded, value.float()), key
    # Loading keeps the encoders frozen, positional embeddings trainable.
    assert not backbone.vision_encoder.conv1.weight.requires_grad
    assert backbone.text_encoder.positional_embedding.requires_grad


def test_vit_positional_embedding_resized_from_the_release_grid(tmp_path):
    torch.manual_seed(0)
    released = build_backbone(dict(VIT, input_size=32))  # a 2x2 grid, like 224 -> 14x14
    weights = openai_state_dict(released.vision_encoder, released.text_encoder)
    archive = tmp_path / 'ViT.pt'
    save_clip_state_dict(weights, archive)

    backbone = build_backbone(VIT, clip_weights=str(archive))  # 64 / 16: a 4x4 grid
    backbone.init_weights()
    pos = backbone.vision_encoder.positional_embedding
    assert pos.shape == (17, 32)
    expected = resize_patch_positions(weights['visual.positional_embedding'], (4, 4)).float()
    torch.testing.assert_close(pos.detach(), expected)
    torch.testing.assert_close(pos[0].detach(), weights['visual.positional_embedding'][0].float())
    # bicubic, align_corners=False, computed independently
    grid = weights['visual.positional_embedding'][1:].reshape(1, 2, 2, 32).permute(0, 3, 1, 2)
    independent = torch.nn.functional.interpolate(grid, size=(4, 4), mode='bicubic')
    torch.testing.assert_close(pos[1:].detach(), independent.flatten(2)[0].T.float())


def test_mismatching_weights_name_the_first_bad_key(tmp_path):
    torch.manual_seed(0)
    other = build_backbone(dict(VIT, width=64, heads=4))
    weights = openai_state_dict(other.vision_encoder, other.text_encoder)
    path = tmp_path / 'wide.pth'
    torch.save(weights, path)  # a plain state dict works as well as an archive
    backbone = build_backbone(VIT, clip_weights=str(path))
    with pytest.raises(ValueError, match=r"wide.pth: weight 'class_embedding' has shape \(64,\)"):
        backbone.init_weights()


def test_missing_weights_file_says_what_to_do(tmp_path):
    backbone = build_backbone(VIT, clip_weights=str(tmp_path / 'ViT-B-16.pt'))
    with pytest.raises(FileNotFoundError, match='ViT-B-16.pt.*clip_weights'):
        backbone.init_weights()


def test_resnet_connect_branch_is_not_expected_in_openai_weights():
    resnet = CLIPModifiedResNet(**{k: v for k, v in RN.items() if k != 'type'})
    weights = {k: v for k, v in resnet.state_dict().items() if 'connect' not in k}
    resnet.load_openai_state_dict(weights, 'RN.pt')
    with pytest.raises(ValueError, match="missing \\['conv1.weight'\\]"):
        resnet.load_openai_state_dict({k: v for k, v in weights.items() if k != 'conv1.weight'},
                                      'RN.pt')


# Hugging Face CLIP directories in mmris' OpenAI-layout encoders. The tiny
# CLIPModel of the tiny_hf_dir fixture: images 32 px, patch 8, width 32,
# 3 blocks, 2 heads, projection 24; text width 32, 77 positions.
HF_VIT = dict(VIT, input_size=32, patch_size=8, output_dim=24)
HF_TEXT = dict(TEXT, context_length=77, embed_dim=24)


def openai_layout_by_hand(clip) -> dict:
    """OpenAI's CLIP state dict of a transformers CLIPModel, read from its
    modules (not its key names): q/k/v stacked, projections transposed."""
    vision, text = clip.vision_model, clip.text_model
    state = {
        'visual.class_embedding': vision.embeddings.class_embedding,
        'visual.conv1.weight': vision.embeddings.patch_embedding.weight,
        'visual.positional_embedding': vision.embeddings.position_embedding.weight,
        'visual.proj': clip.visual_projection.weight.t(),
        'token_embedding.weight': text.embeddings.token_embedding.weight,
        'positional_embedding': text.embeddings.position_embedding.weight,
        'text_projection': clip.text_projection.weight.t(),
        'logit_scale': clip.logit_scale,
    }
    norms = {'visual.ln_pre': vision.pre_layrnorm, 'visual.ln_post': vision.post_layernorm,
             'ln_final': text.final_layer_norm}
    for prefix, encoder in (('visual.transformer', vision.encoder), ('transformer', text.encoder)):
        for index, layer in enumerate(encoder.layers):
            block = f'{prefix}.resblocks.{index}'
            attn = layer.self_attn
            for kind in ('weight', 'bias'):
                state[f'{block}.attn.in_proj_{kind}'] = torch.cat(
                    [getattr(proj, kind) for proj in (attn.q_proj, attn.k_proj, attn.v_proj)])
                state[f'{block}.attn.out_proj.{kind}'] = getattr(attn.out_proj, kind)
                state[f'{block}.mlp.c_fc.{kind}'] = getattr(layer.mlp.fc1, kind)
                state[f'{block}.mlp.c_proj.{kind}'] = getattr(layer.mlp.fc2, kind)
            norms.update({f'{block}.ln_1': layer.layer_norm1, f'{block}.ln_2': layer.layer_norm2})
    for name, norm in norms.items():
        state[f'{name}.weight'], state[f'{name}.bias'] = norm.weight, norm.bias
    return {key: value.detach().clone() for key, value in state.items()}


@pytest.mark.parametrize('input_size', [32, 48])
def test_hf_clip_directory_gives_the_hf_models_features(tiny_hf_dir, input_size):
    from transformers import CLIPModel
    directory = tiny_hf_dir('clip')
    backbone = BridgedDualEncoder(vision_encoder=dict(HF_VIT, input_size=input_size),
                                  text_encoder=HF_TEXT, bridger=BRIDGER, clip_weights=directory)
    backbone.init_weights()
    clip = CLIPModel.from_pretrained(directory).eval()
    vision, text = backbone.vision_encoder.eval(), backbone.text_encoder.eval()
    images = torch.randn(2, 3, input_size, input_size)
    ids = text.tokenize(['the red circle on the left', 'a blue square'])
    with torch.no_grad():
        state = vision.embed(images)
        for stage in range(vision.num_stages):
            state = vision.forward_stage(stage, state)
        image_features = vision.finalize(state).flatten(2).transpose(1, 2)
        hf_vision = clip.vision_model(images, interpolate_pos_encoding=True)
        hf_image_features = clip.visual_projection(
            clip.vision_model.post_layernorm(hf_vision.last_hidden_state[:, 1:]))
        state = text.embed(ids)
        for stage in range(text.num_stages):
            state = text.forward_stage(stage, state)
        words, sentence = text.finalize(state, ids)
        hf_text = clip.text_model(input_ids=ids)
        hf_sentence = clip.get_text_features(input_ids=ids).pooler_output
    assert (image_features - hf_image_features).abs().max() <= 1e-5
    assert (words - hf_text.last_hidden_state).abs().max() <= 1e-5
    assert (sentence - hf_sentence).abs().max() <= 1e-5


def test_hf_clip_key_map_matches_a_hand_conversion(tiny_hf_dir):
    from transformers import CLIPModel

    from mmris.models.encoders import load_clip_state_dict
    directory = tiny_hf_dir('clip')
    mapped = load_clip_state_dict(directory)
    by_hand = openai_layout_by_hand(CLIPModel.from_pretrained(directory))
    assert sorted(mapped) == sorted(by_hand)
    assert all(torch.equal(mapped[key], by_hand[key]) for key in by_hand)


def test_etris_logits_equal_from_hf_directory_and_openai_archive(tiny_hf_dir, tiny_config, tmp_path):
    from transformers import CLIPModel

    from mmris.registry import MODELS
    directory = tiny_hf_dir('clip')
    archive = tmp_path / 'ViT-tiny.pt'
    save_clip_state_dict(openai_layout_by_hand(CLIPModel.from_pretrained(directory)), archive)
    cfg = tiny_config('vitb')
    cfg.merge_from_dict({
        'model.backbone.vision_encoder.patch_size': 8,
        'model.backbone.vision_encoder.output_dim': 24,
        'model.backbone.text_encoder.context_length': 77,
        'model.backbone.text_encoder.embed_dim': 24,
        'model.neck.in_channels': [32, 32, 24],
        'model.neck.text_channels': 24,
        'model.decode_head.text_channels': 24,
    })
    models = []
    for weights in (directory, str(archive)):
        torch.manual_seed(0)  # the same Bridger, neck and head
        model = MODELS.build(dict(cfg.model, backbone=dict(cfg.model.backbone, clip_weights=weights)))
        model.init_weights()
        models.append(model.eval())
    from mmseg.structures import SegDataSample
    samples = [SegDataSample(metainfo=dict(text=text)) for text in ('the red circle', 'left one')]
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        from_hf, from_archive = (model(images, samples, mode='tensor') for model in models)
    assert from_hf.abs().max() > 0
    assert (from_hf - from_archive).abs().max() <= 1e-5


def test_non_clip_directory_is_refused(tiny_hf_dir):
    backbone = build_backbone(VIT, clip_weights=tiny_hf_dir('dinov2'))
    with pytest.raises(ValueError, match="not a Hugging Face CLIP model.*model_type 'dinov2'"):
        backbone.init_weights()


def test_clip_directory_with_gelu_towers_is_refused(tiny_hf_dir, tmp_path):
    from transformers import CLIPModel
    clip = CLIPModel.from_pretrained(tiny_hf_dir('clip'))
    clip.config.vision_config.hidden_act = 'gelu'
    clip.save_pretrained(str(tmp_path))
    backbone = build_backbone(dict(HF_VIT), clip_weights=str(tmp_path))
    with pytest.raises(ValueError, match='vision tower uses gelu.*HFVisionEncoder'):
        backbone.init_weights()


def test_clip_weights_fill_only_the_openai_layout_tower(tiny_hf_dir, tmp_path):
    """A DETRIS-style pairing: a transformers image tower with its own
    weights, the OpenAI-layout text tower from a CLIP archive."""
    torch.manual_seed(0)
    source = build_backbone(VIT)
    archive = tmp_path / 'CLIP.pt'
    save_clip_state_dict(openai_state_dict(source.vision_encoder, source.text_encoder), archive)
    vision = dict(type='HFVisionEncoder', pretrained=tiny_hf_dir('dinov2_with_registers'))
    backbone = BridgedDualEncoder(vision_encoder=vision, text_encoder=TEXT, bridger=BRIDGER,
                                  clip_weights=str(archive))
    backbone.init_weights()
    for key, value in source.text_encoder.state_dict().items():
        assert torch.equal(backbone.text_encoder.state_dict()[key], value.half().float()), key
    from transformers import AutoModel
    dinov2 = AutoModel.from_pretrained(tiny_hf_dir('dinov2_with_registers'))
    assert dinov2.embeddings.position_embeddings.abs().sum() > 0
    assert torch.equal(backbone.vision_encoder.model.embeddings.position_embeddings,
                       dinov2.embeddings.position_embeddings)

    text = dict(type='HFTextEncoder', pretrained=tiny_hf_dir('bert'), text_length=8)
    neither = BridgedDualEncoder(vision_encoder=vision, text_encoder=text, bridger=BRIDGER,
                                 clip_weights=str(archive))
    with pytest.raises(ValueError, match='neither encoder takes OpenAI-layout CLIP weights'):
        neither.init_weights()

"""Loading OpenAI-layout CLIP weights: TorchScript archives and state dicts."""
import pytest
import torch
from torch import nn

from mmris.models.encoders import CLIPModifiedResNet, CLIPTextEncoder, CLIPVisionTransformer
from mmris.models.encoders.clip_vision_transformer import resize_patch_positions
from mmris.models.backbones import BridgedDualEncoder

VIT = dict(type='CLIPVisionTransformer', input_size=64, patch_size=16, width=32, layers=3,
           heads=2, output_dim=32)
RN = dict(type='CLIPModifiedResNet', layers=(1, 1, 1, 1), width=8, output_dim=32, heads=2,
          pretrain_size=64)
TEXT = dict(type='CLIPTextEncoder', text_length=8, context_length=16, width=32, layers=3,
            heads=2, embed_dim=32)
BRIDGER = dict(type='Bridger', d_model=16, interactor=dict(type='LightInteractor', num_heads=2))


def write_torchscript_archive(state_dict: dict, path) -> None:
    """Save ``state_dict`` as a TorchScript archive whose ``state_dict()``
    gives it back, the form of OpenAI's released ``*.pt`` files."""
    root = nn.Module()
    for key, value in state_dict.items():
        *parents, name = key.split('.')
        node = root
        for parent in parents:
            if not isinstance(getattr(node, parent, None), nn.Module):
                node.add_module(parent, nn.Module())
            node = getattr(node, parent)
        node.register_parameter(name, nn.Parameter(value, requires_grad=False))
    torch.jit.script(root).save(str(path))


def openai_state_dict(vision: nn.Module, text: nn.Module) -> dict:
    """OpenAI's layout, in fp16 like the release: ``visual.*`` + text keys + logit_scale."""
    state = {f'visual.{k}': v for k, v in vision.state_dict().items()
             if not k.startswith('attnpool.connect') and not k.endswith('num_batches_tracked')}
    state.update(text.state_dict())
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
    write_torchscript_archive(weights, archive)

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
    write_torchscript_archive(weights, archive)

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

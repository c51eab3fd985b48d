"""The Bridger's structure for the ViT and ResNet settings of the reference."""
import pytest
import torch
from torch import nn

from mmris.models.backbones import Bridger

VIT = dict(vision_channels=(768, 768, 768), text_channels=512, d_model=64,
           zoom_strides=(1, 1, 1), zoom_norm_cfg=dict(type='BN'),
           interactor=dict(type='LightInteractor', num_heads=8))
RESNET = dict(vision_channels=(512, 1024, 2048), text_channels=512, d_model=64,
              zoom_strides=(2, 1, 2), zoom_norm_cfg=None,
              interactor=dict(type='FullInteractor', num_heads=4, ffn_channels=128, dropout=0.1))


def test_vit_bridger_layers():
    bridger = Bridger(**VIT)
    for index in range(3):
        stage = bridger.stages[str(index)]
        last = index == 2
        assert isinstance(stage.zoom_in.conv, nn.ConvTranspose2d if last else nn.Conv2d)
        assert isinstance(stage.zoom_out.conv, nn.Conv2d if last else nn.ConvTranspose2d)
        assert stage.zoom_in.conv.kernel_size == (1, 1) and stage.zoom_in.conv.bias is None
        assert isinstance(stage.zoom_in.bn, nn.BatchNorm2d) and isinstance(stage.zoom_in.activate, nn.ReLU)
        assert hasattr(stage, 'vision_norm') == (index > 0)
        assert stage.vision_interactor.cross_attn.num_heads == 8
    assert sum(p.numel() for p in bridger.parameters()) == 598_592


def test_resnet_bridger_layers_have_no_norm_and_stride_two():
    bridger = Bridger(**RESNET)
    stage0, stage2 = bridger.stages['0'], bridger.stages['2']
    assert list(dict(stage0.zoom_in.named_children())) == ['conv']
    assert stage0.zoom_in.conv.stride == (2, 2) and isinstance(stage0.zoom_in.conv, nn.Conv2d)
    assert isinstance(stage2.zoom_in.conv, nn.ConvTranspose2d) and stage2.zoom_in.conv.stride == (2, 2)
    assert stage0.vision_interactor.linear1.out_features == 128
    assert sum(p.numel() for p in bridger.parameters()) == 1_942_080


def test_shapes_and_residual_state():
    bridger = Bridger(**dict(RESNET, vision_channels=(16, 32, 64), text_channels=24, d_model=8,
                             interactor=dict(type='FullInteractor', num_heads=2)))
    bridger.init_weights()
    text = torch.randn(5, 2, 24)
    dv, dt, previous = bridger(0, torch.randn(2, 16, 8, 8), text)
    assert dv.shape == (2, 16, 8, 8) and dt.shape == (5, 2, 24)
    assert previous[0].shape == (16, 2, 8) and previous[1].shape == (5, 2, 8)  # 4x4 grid, d=8
    dv, dt, _ = bridger(2, torch.randn(2, 64, 2, 2), text, previous)
    assert dv.shape == (2, 64, 2, 2)


def test_fusion_stages_subset_normalises_from_the_second_fused_stage():
    bridger = Bridger(**dict(RESNET, fusion_stages=(1, 2)))
    assert not bridger.fuses(0) and bridger.fuses(1)
    assert not hasattr(bridger.stages['1'], 'vision_norm')
    assert hasattr(bridger.stages['2'], 'vision_norm')
    with pytest.raises(ValueError, match='fusion_stages'):
        Bridger(**dict(RESNET, fusion_stages=(3, )))


def test_init_weights_as_the_reference():
    torch.manual_seed(0)
    bridger = Bridger(**VIT)
    bridger.init_weights()
    text_in = bridger.stages['0'].text_in
    assert torch.all(text_in.bias == 0)
    assert abs(text_in.weight.std().item() - 0.02) < 2e-3
    out_proj = bridger.stages['0'].vision_interactor.cross_attn.out_proj
    assert abs(out_proj.weight.std().item() - 0.02) < 2e-3
    conv = bridger.stages['0'].zoom_in.conv  # kaiming normal, fan_out = 64
    assert abs(conv.weight.std().item() - (2 / 64) ** 0.5) < 0.02

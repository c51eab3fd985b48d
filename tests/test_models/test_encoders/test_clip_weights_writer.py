"""Writing OpenAI-layout CLIP weights (clip_weights.save_clip_state_dict),
checked by reading them back through the real reader into other towers."""
import pytest
import torch

from mmris.models.encoders import load_clip_state_dict, split_clip_state_dict
from mmris.models.encoders.clip_weights import (
    is_torchscript_archive,
    openai_clip_state_dict,
    save_clip_state_dict,
)
from mmris.registry import MODELS


@pytest.mark.parametrize('backbone', ['vitb', 'rn50'])
@pytest.mark.parametrize('torchscript', [True, False], ids=['archive', 'state-dict'])
def test_written_weights_load_back_into_the_same_towers(tmp_path, tiny_config, backbone,
                                                        torchscript):
    torch.manual_seed(0)
    source = MODELS.build(tiny_config(backbone).model).backbone
    torch.manual_seed(1)
    target = MODELS.build(tiny_config(backbone).model).backbone
    path = tmp_path / 'clip.pt'
    state = openai_clip_state_dict(source.vision_encoder, source.text_encoder)
    assert save_clip_state_dict(state, path, torchscript=torchscript) == str(path)
    assert is_torchscript_archive(str(path)) == torchscript

    visual, text = split_clip_state_dict(load_clip_state_dict(str(path)))
    target.vision_encoder.load_openai_state_dict(visual, str(path))
    target.text_encoder.load_openai_state_dict(text, str(path))
    compared = 0
    for name, value in source.state_dict().items():
        if name.startswith(('vision_encoder', 'text_encoder')) and '.connect.' not in name:
            assert torch.equal(value, target.state_dict()[name]), name
            compared += 1
    assert compared == len(state)  # every tower tensor went through the file


def test_the_layout_is_openais(tiny_config):
    backbone = MODELS.build(tiny_config('rn50').model).backbone
    state = openai_clip_state_dict(backbone.vision_encoder, backbone.text_encoder)
    # Names as in OpenAI's RN50.pt (github.com/openai/CLIP, model.py)
    for key in ('visual.conv1.weight', 'visual.attnpool.positional_embedding',
                'visual.layer1.0.conv1.weight', 'token_embedding.weight', 'positional_embedding',
                'transformer.resblocks.0.attn.in_proj_weight', 'ln_final.weight',
                'text_projection'):
        assert key in state, key
    assert not [key for key in state if key.startswith('visual.attnpool.connect')]

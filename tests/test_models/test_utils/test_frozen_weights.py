"""Frozen weights stored in the autocast dtype: the same bf16 outputs as
autocast alone, on each kind of tower, with only frozen matrix weights
converted."""
import copy

import pytest
import torch
from mmcv.cnn.bricks.conv_ws import ConvWS2d
from torch import nn

from mmris.apis import init_model
from mmris.benchmark import inference_step, make_inputs
from mmris.models.utils import store_frozen_weights_in


def _bf16_outputs(model, seed=0):
    """The network's outputs under bf16 autocast, as stored."""
    images, samples = make_inputs(model, 1, 64, 64, 'cpu', seed)
    model.eval()
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        return model._forward(images, samples)


@pytest.mark.parametrize('name', ['vitb', 'rn50', 'etris/vitb16-hf_refcoco'])
def test_bf16_outputs_are_those_of_autocast_alone(name, tiny_config, tiny_pairing_config):
    cfg = tiny_config(name) if '/' not in name else tiny_pairing_config(name)
    torch.manual_seed(0)
    model = init_model(cfg, checkpoint=None, device='cpu')
    cast = copy.deepcopy(model)
    converted = store_frozen_weights_in(cast, 'bf16')

    expected, got = _bf16_outputs(model), _bf16_outputs(cast)
    assert converted > 0
    assert type(got) is type(expected)
    for a, b in zip(*(out if isinstance(out, (tuple, list)) else (out,)
                      for out in (expected, got))):
        assert a.dtype == b.dtype and torch.equal(a, b)
    # Only frozen weights changed dtype: what trains, and every norm and
    # embedding, stays fp32.
    for (key, before), after in zip(model.named_parameters(), cast.parameters()):
        if after.dtype == torch.bfloat16:
            assert not before.requires_grad, key
            assert torch.equal(after, before.bfloat16()), key
        else:
            assert after.dtype == torch.float32, key
    assert any(p.requires_grad for p in cast.parameters())


def test_a_layer_that_uses_its_weight_otherwise_keeps_it_in_fp32():
    # mmcv's ConvWS2d standardises its weight before the convolution; a bf16
    # weight would change its output. Subclasses are not converted.
    torch.manual_seed(0)
    model = nn.Sequential(ConvWS2d(3, 8, 3), nn.Conv2d(8, 4, 1)).requires_grad_(False)
    image = torch.randn(1, 3, 16, 16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        expected = model(image)
        assert store_frozen_weights_in(model, 'bf16') == 2  # the Conv2d's two
        got = model(image)
    assert model[0].weight.dtype == torch.float32
    assert torch.equal(got, expected)


def test_a_weight_tied_to_an_embedding_keeps_fp32():
    # An embedding looks its rows up in their stored dtype: a bf16 table
    # would hand bf16 vectors to the fp32 ops after it.
    torch.manual_seed(0)
    embedding, head = nn.Embedding(10, 8), nn.Linear(8, 10, bias=False)
    head.weight = embedding.weight
    model = nn.ModuleDict(dict(embedding=embedding, head=head)).requires_grad_(False)
    tokens = torch.tensor([[1, 2, 3]])

    def run():
        with torch.autocast('cpu', dtype=torch.bfloat16):
            words = model['embedding'](tokens)
            return words, model['head'](words.softmax(-1))

    expected = run()
    assert store_frozen_weights_in(model, 'bf16') == 0
    assert all(torch.equal(a, b) and a.dtype == b.dtype for a, b in zip(run(), expected))


def test_the_benchmarks_bf16_inference_step_runs_the_weights_stored(tiny_config):
    # benchmark.py times bf16 inference as RISInferencer and tools/test.py
    # run it: with the frozen weights stored in bf16.
    torch.manual_seed(0)
    model = init_model(tiny_config('vitb'), checkpoint=None, device='cpu')
    plain = copy.deepcopy(model)
    images, samples = make_inputs(model, 1, 64, 64, 'cpu', 0)
    got = inference_step(model, images, samples, 'bf16')()
    assert {p.dtype for p in model.backbone.vision_encoder.parameters()} == {
        torch.bfloat16, torch.float32}
    assert torch.equal(got, _bf16_outputs(plain))

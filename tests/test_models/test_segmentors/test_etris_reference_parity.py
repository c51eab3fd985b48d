"""Golden parity with the reference ETRIS (kkakkkka/ETRIS) on tiny models.

``tests/data/etris_reference_outputs.npz`` holds numbers produced by the
reference's own model classes (CLIP ViT / ModifiedResNet towers, Bridger_VL
/ Bridger_RN, HA, GA, Projector) at the tiny sizes of this file's configs,
every weight set by ``fill_weights`` under its mmris name (the reference
names mapped by tools/model_converters/etris2mmris.py), on
``golden_inputs``; tools/analysis_tools/reference_parity.py writes it
(``fixture --reference ETRIS_CHECKOUT``) and defines both:

- ``<backbone>_token_ids``: the reference tokenizer's ids of ``TEXTS``;
- ``<backbone>_logits``: the stride-4 mask logits in eval mode (2, 1, 16, 16);
- ``<backbone>_loss``: the BCE loss of one training-mode forward pass (BN
  on batch statistics, dropout off) against ``golden_inputs``' masks.

The mmris model built from the tiny configs, with the same weights, must
give the same numbers: logits within 1e-4, so a change that drifts from the
reference fails here.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.apis import init_model

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / 'tests' / 'data' / 'etris_reference_outputs.npz'
TOOL = REPO / 'tools' / 'analysis_tools' / 'reference_parity.py'
#: The tiny configs of tests/conftest.py with the reference's fixed depth:
#: its Bridgers fuse after text blocks 4, 8 and 12, so both towers get 12.
DEPTH = {'model.backbone.text_encoder.layers': 12}
VIT_DEPTH = {'model.backbone.vision_encoder.layers': 12}


@pytest.fixture(scope='module')
def parity_tool():
    spec = importlib.util.spec_from_file_location('reference_parity', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def golden_config(tiny_config, backbone: str):
    cfg = tiny_config(backbone)
    cfg.merge_from_dict({**DEPTH, **(VIT_DEPTH if backbone == 'vitb' else {})})
    return cfg


@pytest.fixture(scope='module')
def golden():
    return dict(np.load(GOLDEN))


def test_fixture_holds_every_backbone(golden):
    assert sorted(golden) == sorted(f'{backbone}_{entry}' for backbone in ('vitb', 'rn50', 'rn101')
                                    for entry in ('token_ids', 'logits', 'loss'))


def test_fill_weights_depends_on_name_only(parity_tool):
    weight = torch.zeros(4, 3)
    first = parity_tool.fill_weights({'a.weight': weight, 'b.weight': weight})
    again = parity_tool.fill_weights({'a.weight': weight})
    assert torch.equal(first['a.weight'], again['a.weight'])
    assert not torch.equal(first['a.weight'], first['b.weight'])


@pytest.mark.parametrize('backbone', ['vitb', 'rn50', 'rn101'])
def test_tiny_models_match_the_reference(golden, parity_tool, tiny_config, backbone):
    model = init_model(golden_config(tiny_config, backbone))
    model.load_state_dict(parity_tool.fill_weights(model.state_dict()))
    images, masks = parity_tool.golden_inputs()
    samples = [SegDataSample(metainfo=dict(text=text)) for text in parity_tool.TEXTS]

    token_ids = model.backbone.tokenize(parity_tool.TEXTS)
    np.testing.assert_array_equal(token_ids.numpy(), golden[f'{backbone}_token_ids'])
    with torch.no_grad():
        logits = model(images, samples, mode='tensor')
    expected = torch.from_numpy(golden[f'{backbone}_logits'])
    assert logits.shape == expected.shape == (2, 1, 16, 16)
    assert (logits - expected).abs().max() < 1e-4
    assert ((logits > 0) == (expected > 0)).float().mean() > 0.99

    # In the reference's memory format (contiguous): channels-last changes the
    # convolutions' rounding, which train-mode BatchNorm amplifies past 1e-5
    # depending on the thread count (docs/training.md, reference parity).
    parity_tool.in_contiguous_format(model)
    parity_tool.without_dropout(model).train()
    for sample, mask in zip(samples, masks, strict=True):
        sample.gt_sem_seg = PixelData(data=mask)
    with torch.no_grad():
        loss = model(images, samples, mode='loss')['loss_mask']
    assert loss.item() == pytest.approx(float(golden[f'{backbone}_loss']), abs=1e-5)

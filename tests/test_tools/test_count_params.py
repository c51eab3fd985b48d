"""tools/analysis_tools/count_params.py and mmris.utils.param_count."""
import json

import pytest
import torch
from torch import nn

from mmris.utils.param_count import GROUP_LABELS, count_parameters

# What configs/etris/*_refcoco.py build; the reference's released models
# report 23.83M (ViT-B/16) and 28.82M (RN50) trainable parameters.
EXPECTED = {
    'vitb_refcoco.py': dict(trainable=23_829_313, bridger=598_592, total=173_259_329,
                            positional_embedding=559_360),
    'rn50_refcoco.py': dict(trainable=28_819_009, bridger=1_942_080, total=132_783_521,
                            positional_embedding=141_824),
}


@pytest.mark.parametrize('config', sorted(EXPECTED))
def test_etris_counts(config, run_tool, tmp_path):
    out = tmp_path / 'counts.json'
    result = run_tool('analysis_tools/count_params.py', f'configs/etris/{config}', '--json', out)
    assert result.returncode == 0, result.stdout[-3000:]
    expected = EXPECTED[config]
    counts = json.loads(out.read_text())
    groups = counts['groups']
    assert counts['trainable'] == expected['trainable']
    assert counts['total'] == expected['total']
    assert groups['bridger'] == dict(params=expected['bridger'], trainable=expected['bridger'])
    assert groups['positional_embedding']['trainable'] == expected['positional_embedding']
    assert groups['frozen_encoders']['trainable'] == 0
    assert groups['other']['params'] == 0
    assert counts['bridger_side_tunable'] == expected['bridger'] + expected['positional_embedding']
    assert sum(group['params'] for group in groups.values()) == counts['total']
    # The table shows millions with 2 decimals and exact counts.
    assert f'{expected["trainable"]:,}' in result.stdout
    assert f'{expected["trainable"] / 1e6:.2f}' in result.stdout
    assert f'{expected["bridger"]:,}' in result.stdout
    assert 'All trainable' in result.stdout and 'Bridger-side tunable' in result.stdout


class _Encoder(nn.Module):

    def __init__(self, pos: int, weight: int):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.zeros(pos))
        self.weight = nn.Parameter(torch.zeros(weight))


def _toy_model() -> nn.Module:
    model = nn.Module()
    model.backbone = nn.Module()
    model.backbone.vision_encoder = _Encoder(pos=10, weight=100)
    model.backbone.text_encoder = _Encoder(pos=5, weight=50)
    model.backbone.bridger = nn.Linear(3, 2)  # 8
    model.neck = nn.Linear(4, 4)  # 20
    model.decode_head = nn.Linear(2, 1)  # 3
    for encoder in (model.backbone.vision_encoder, model.backbone.text_encoder):
        encoder.weight.requires_grad_(False)
    return model


def test_groups_partition_the_model():
    model = _toy_model()
    counts = count_parameters(model)
    assert list(counts['groups']) == list(GROUP_LABELS)
    assert {key: group['params'] for key, group in counts['groups'].items()} == dict(
        bridger=8, positional_embedding=15, neck=20, decode_head=3, frozen_encoders=150, other=0)
    assert (counts['total'], counts['trainable'], counts['frozen']) == (196, 46, 150)
    assert counts['bridger_side_tunable'] == 23

    # Frozen positional embeddings count as frozen encoder weights; another
    # trainable encoder weight lands in 'other', so the rows still add up.
    model.backbone.text_encoder.positional_embedding.requires_grad_(False)
    model.backbone.vision_encoder.weight.requires_grad_(True)
    counts = count_parameters(model)
    groups = counts['groups']
    assert groups['positional_embedding'] == dict(params=10, trainable=10)
    assert groups['frozen_encoders'] == dict(params=55, trainable=0)
    assert groups['other'] == dict(params=100, trainable=100)
    assert counts['bridger_side_tunable'] == 18
    assert sum(group['params'] for group in groups.values()) == counts['total'] == 196


def test_unknown_option_is_refused(run_tool):
    result = run_tool('analysis_tools/count_params.py', 'configs/etris/vitb_refcoco.py',
                      '--cfg-options', 'model.backbone.bridgr.d_model=32')
    assert result.returncode == 2
    assert result.last_line.startswith("error: bad --cfg-options key 'model.backbone.bridgr")


def test_transformers_positional_embeddings_are_counted(tiny_pairing_config):
    """HF towers name them ``position_embedding(s)``; each encoder says so."""
    from mmris.apis import init_model
    model = init_model(tiny_pairing_config('etris/vitb16-hf_refcoco'))
    counts = count_parameters(model)
    expected = sum(p.numel() for name, p in model.named_parameters()
                   if name.endswith('embeddings.position_embedding.weight'))
    assert expected > 0
    assert counts['groups']['positional_embedding'] == dict(params=expected, trainable=expected)
    assert counts['groups']['other']['params'] == 0

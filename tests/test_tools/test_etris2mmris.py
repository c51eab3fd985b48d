"""tools/model_converters/etris2mmris.py: reference ETRIS checkpoints -> mmris.

The reference layouts are written here by hand (a table from mmris names to
the names of kkakkkka/ETRIS' modules), independently of the converter's
rules, and applied to tiny ViT and RN50 models built from the real configs.
"""
import collections
import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmris.checkpoint.loader import UnsafeCheckpointError, safe_load
from mmris.registry import MODELS
from mmris.utils import CheckpointError, run_cli

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'model_converters' / 'etris2mmris.py'

TINY_TEXT = 'text_encoder=dict(vocab_size=1000, width=64, layers=3, heads=2, embed_dim=64)'


def tiny_head(maps: str) -> str:
    """The neck and head of width 64 on the tiny towers' three ``maps``."""
    return (f"neck=dict(in_channels={maps}, text_channels=64, channels=64, num_heads=2),\n"
            "    decode_head=dict(in_channels=64, text_channels=64,\n"
            "                     decoder=dict(num_heads=2, ffn_channels=64), channels=16))\n")


TINY_CONFIGS = {
    'vitb': (
        f"_base_ = ['{REPO}/configs/etris/vitb_refcoco.py']\n"
        "model = dict(\n"
        "    backbone=dict(\n"
        "        vision_encoder=dict(input_size=64, width=64, layers=3, heads=2, output_dim=64),\n"
        f"        {TINY_TEXT},\n"
        "        bridger=dict(d_model=16, interactor=dict(num_heads=2))),\n"
        "    " + tiny_head('[64, 64, 64]')),
    'rn50': (
        f"_base_ = ['{REPO}/configs/etris/rn50_refcoco.py']\n"
        "model = dict(\n"
        "    backbone=dict(\n"
        "        vision_encoder=dict(layers=(1, 1, 1, 1), width=16, heads=2, output_dim=64,\n"
        "                            pretrain_size=64),\n"
        f"        {TINY_TEXT},\n"
        "        bridger=dict(d_model=16, interactor=dict(num_heads=2, ffn_channels=32))),\n"
        "    " + tiny_head('[128, 256, 64]')),
}


def reference_prefixes(plain_zoom: bool) -> dict:
    """mmris prefix -> prefix of the same weights in the reference ETRIS
    (model/segmenter.py, bridger.py, layers.py). ``plain_zoom``: the ResNet
    Bridger's zoom convs are bare convs, the ViT's conv + BN Sequentials."""
    table = {
        'backbone.vision_encoder.': 'backbone.visual.',
        'backbone.text_encoder.': 'backbone.',
        'neck.sentence_proj.': 'neck.txt_proj.',
        'neck.aggregate.conv.': 'neck.aggr.0.',
        'neck.aggregate.bn.': 'neck.aggr.1.',
        'neck.coord_conv.conv.': 'neck.coordconv.0.conv1.0.',
        'neck.coord_conv.bn.': 'neck.coordconv.0.conv1.1.',
        'neck.out_conv.conv.': 'neck.coordconv.1.0.',
        'neck.out_conv.bn.': 'neck.coordconv.1.1.',
        'decode_head.decoder.': 'decoder.',
        'decode_head.vision_proj.1.conv.': 'proj.vis.1.0.',
        'decode_head.vision_proj.1.bn.': 'proj.vis.1.1.',
        'decode_head.vision_proj.3.conv.': 'proj.vis.3.0.',
        'decode_head.vision_proj.3.bn.': 'proj.vis.3.1.',
        'decode_head.vision_proj.4.': 'proj.vis.4.',
        'decode_head.text_proj.': 'proj.txt.',
        'backbone.bridger.stages.1.vision_norm.': 'bridger.ln_v.0.',
        'backbone.bridger.stages.1.text_norm.': 'bridger.ln_t.0.',
        'backbone.bridger.stages.2.vision_norm.': 'bridger.ln_v.1.',
        'backbone.bridger.stages.2.text_norm.': 'bridger.ln_t.1.',
    }
    for i in range(3):
        level = i + 3
        stage = f'backbone.bridger.stages.{i}.'
        table.update({
            f'neck.map_projs.{i}.conv.': f'neck.f{level}_proj.0.',
            f'neck.map_projs.{i}.bn.': f'neck.f{level}_proj.1.',
            f'neck.interactors.{i}.cross_attn.': f'neck.fusion{level}.multihead_attn.',
            f'decode_head.decoder.layers.{i}.cross_attn.': f'decoder.layers.{i}.multihead_attn.',
            f'{stage}zoom_in.conv.': f'bridger.zoom_in.{i}.' + ('' if plain_zoom else '0.'),
            f'{stage}zoom_in.bn.': f'bridger.zoom_in.{i}.1.',
            f'{stage}zoom_out.conv.': f'bridger.zoom_out.{i}.' + ('' if plain_zoom else '0.'),
            f'{stage}zoom_out.bn.': f'bridger.zoom_out.{i}.1.',
            f'{stage}text_in.': f'bridger.linear1.{i}.',
            f'{stage}text_out.': f'bridger.linear2.{i}.',
            f'{stage}vision_interactor.cross_attn.': f'bridger.fusion_v.{i}.multihead_attn.',
            f'{stage}vision_interactor.': f'bridger.fusion_v.{i}.',
            f'{stage}text_interactor.cross_attn.': f'bridger.fusion_t.{i}.multihead_attn.',
            f'{stage}text_interactor.': f'bridger.fusion_t.{i}.',
        })
    return table


def to_reference_layout(state_dict: dict, plain_zoom: bool) -> dict:
    """What the reference train.py saves for these weights: DDP ``module.``
    keys, plus CLIP's logit_scale."""
    table = reference_prefixes(plain_zoom)
    prefixes = sorted(table, key=len, reverse=True)
    src = {}
    for key, value in state_dict.items():
        prefix = next(p for p in prefixes if key.startswith(p))
        src['module.' + table[prefix] + key[len(prefix):]] = value
    src['module.backbone.logit_scale'] = torch.tensor(4.6052)
    return src


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('etris2mmris', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """name -> (config path, model state dict) of the tiny ViT and RN50 models."""
    init_default_scope('mmris')
    root = tmp_path_factory.mktemp('etris2mmris')
    models = {}
    for name, text in TINY_CONFIGS.items():
        path = root / f'tiny_{name}.py'
        path.write_text(text)
        torch.manual_seed(0)
        models[name] = (path, MODELS.build(Config.fromfile(str(path)).model).state_dict())
    return models


@pytest.mark.parametrize('reference, expected', [
    ('module.bridger.zoom_in.0.0.weight', 'backbone.bridger.stages.0.zoom_in.conv.weight'),
    ('module.bridger.zoom_in.2.1.running_var', 'backbone.bridger.stages.2.zoom_in.bn.running_var'),
    ('module.bridger.zoom_out.1.weight', 'backbone.bridger.stages.1.zoom_out.conv.weight'),
    ('module.bridger.linear1.1.bias', 'backbone.bridger.stages.1.text_in.bias'),
    ('module.bridger.linear2.2.weight', 'backbone.bridger.stages.2.text_out.weight'),
    ('module.bridger.fusion_t.2.multihead_attn.in_proj_weight',
     'backbone.bridger.stages.2.text_interactor.cross_attn.in_proj_weight'),
    ('module.bridger.fusion_v.0.norm3.weight',
     'backbone.bridger.stages.0.vision_interactor.norm3.weight'),
    ('module.bridger.ln_v.0.weight', 'backbone.bridger.stages.1.vision_norm.weight'),
    ('module.bridger.ln_t.1.bias', 'backbone.bridger.stages.2.text_norm.bias'),
    ('module.backbone.visual.attnpool.connect.1.running_mean',
     'backbone.vision_encoder.attnpool.connect.1.running_mean'),
    ('module.backbone.visual.transformer.resblocks.3.attn.in_proj_weight',
     'backbone.vision_encoder.transformer.resblocks.3.attn.in_proj_weight'),
    ('module.backbone.transformer.resblocks.11.mlp.c_fc.weight',
     'backbone.text_encoder.transformer.resblocks.11.mlp.c_fc.weight'),
    ('module.backbone.positional_embedding', 'backbone.text_encoder.positional_embedding'),
    ('module.backbone.text_projection', 'backbone.text_encoder.text_projection'),
    ('module.neck.f5_proj.0.weight', 'neck.map_projs.2.conv.weight'),
    ('module.neck.txt_proj.weight', 'neck.sentence_proj.weight'),
    ('module.neck.fusion4.multihead_attn.out_proj.bias',
     'neck.interactors.1.cross_attn.out_proj.bias'),
    ('module.neck.aggr.1.num_batches_tracked', 'neck.aggregate.bn.num_batches_tracked'),
    ('module.neck.coordconv.0.conv1.1.weight', 'neck.coord_conv.bn.weight'),
    ('module.neck.coordconv.1.0.weight', 'neck.out_conv.conv.weight'),
    ('module.decoder.layers.2.multihead_attn.in_proj_bias',
     'decode_head.decoder.layers.2.cross_attn.in_proj_bias'),
    ('module.decoder.layers.0.ffn.3.weight', 'decode_head.decoder.layers.0.ffn.3.weight'),
    ('module.decoder.norm.bias', 'decode_head.decoder.norm.bias'),
    ('module.proj.vis.3.1.running_mean', 'decode_head.vision_proj.3.bn.running_mean'),
    ('module.proj.vis.4.weight', 'decode_head.vision_proj.4.weight'),
    ('module.proj.txt.bias', 'decode_head.text_proj.bias'),
    ('module.backbone.logit_scale', None),
])
def test_key_correspondences(tool, reference, expected):
    assert tool.map_key(reference) == expected


@pytest.mark.parametrize('name', ['vitb', 'rn50'])
def test_round_trip_gives_back_the_mmris_weights(tool, tiny, name):
    _, state_dict = tiny[name]
    src = to_reference_layout(state_dict, plain_zoom=name == 'rn50')
    dst, dropped = tool.convert_state_dict(src)
    assert list(dst) == list(state_dict)
    assert all(dst[key] is state_dict[key] for key in state_dict)
    assert dropped == ['module.backbone.logit_scale']


def test_every_unknown_key_is_listed(tool, tiny):
    src = to_reference_layout(tiny['vitb'][1], plain_zoom=False)
    src['module.foo.bar'] = torch.zeros(1)
    src['module.neck.f6_proj.0.weight'] = torch.zeros(1)
    with pytest.raises(tool.UnmappedKeysError) as error:
        tool.convert_state_dict(src)
    assert error.value.keys == ['module.foo.bar', 'module.neck.f6_proj.0.weight']


def reference_checkpoint(state_dict: dict, plain_zoom: bool) -> dict:
    """A checkpoint as the reference train.py saves it, with real Adam and
    MultiStepLR states (the latter holds a collections.Counter)."""
    params = [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(4))]
    optimizer = torch.optim.Adam([{'params': params[:1], 'initial_lr': 1e-4},
                                  {'params': params[1:], 'initial_lr': 1e-4}], lr=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[35], gamma=0.1)
    for param in params:
        param.grad = torch.ones_like(param)
    optimizer.step()
    scheduler.step()
    assert isinstance(scheduler.state_dict()['milestones'], collections.Counter)
    return {'epoch': 12, 'cur_iou': 0.61, 'best_iou': 0.62, 'prec': {'Pr@50': 0.7},
            'state_dict': to_reference_layout(state_dict, plain_zoom),
            'optimizer': optimizer.state_dict(), 'scheduler': scheduler.state_dict()}


def test_cli_converts_checks_and_reports_what_it_dropped(tiny, run_tool, tmp_path):
    config, state_dict = tiny['vitb']
    src, dst = tmp_path / 'best_model.pth', tmp_path / 'out' / 'etris_vitb.pth'
    torch.save(reference_checkpoint(state_dict, plain_zoom=False), src)
    result = run_tool('model_converters/etris2mmris.py', src, dst, '--config', config)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f'all {len(state_dict)} keys and shapes match' in result.stdout
    dropped = result.stdout.split('dropped:')[1]
    for entry in ("state_dict['module.backbone.logit_scale']", "'optimizer'", "'scheduler'"):
        assert entry in dropped

    checkpoint = safe_load(str(dst))
    assert checkpoint['meta']['source_epoch'] == 12
    assert checkpoint['meta']['source_best_iou'] == 0.62
    assert list(checkpoint['state_dict']) == list(state_dict)
    assert all(torch.equal(checkpoint['state_dict'][k], v) for k, v in state_dict.items())
    from mmris.apis import init_model
    model = init_model(str(config), str(dst))  # strict load
    assert torch.equal(model.state_dict()['neck.coord_conv.conv.weight'],
                       state_dict['neck.coord_conv.conv.weight'])


def test_cli_refuses_an_unknown_key(tool, tiny, tmp_path, monkeypatch, capsys):
    # In-process through run_cli, as the script's __main__ runs it (a
    # subprocess run is covered above).
    checkpoint = reference_checkpoint(tiny['rn50'][1], plain_zoom=True)
    checkpoint['state_dict']['module.foo.bar'] = torch.zeros(1)
    src, dst = tmp_path / 'last_model.pth', tmp_path / 'out.pth'
    torch.save(checkpoint, src)
    monkeypatch.setattr(sys, 'argv', ['etris2mmris.py', str(src), str(dst)])
    with pytest.raises(SystemExit) as exit_info:
        run_cli(tool.main)
    assert exit_info.value.code == 2
    last_line = capsys.readouterr().err.strip().splitlines()[-1]
    assert last_line.startswith('error: ')
    assert '1 key(s) have no mmris counterpart, nothing written: module.foo.bar' in last_line
    assert not dst.exists()


def test_config_mismatch_is_reported_and_nothing_written(tool, tiny, tmp_path, monkeypatch):
    checkpoint = reference_checkpoint(tiny['rn50'][1], plain_zoom=True)
    src, dst = tmp_path / 'rn50.pth', tmp_path / 'out.pth'
    torch.save(checkpoint, src)
    monkeypatch.setattr(sys, 'argv', ['etris2mmris.py', str(src), str(dst),
                                      '--config', str(tiny['vitb'][0])])
    with pytest.raises(CheckpointError, match='does not fit the model of this config') as error:
        tool.main()
    message = str(error.value)
    assert 'missing' in message and 'are not in the model' in message
    assert 'backbone.vision_encoder.bn1.weight' in message  # an RN50-only key
    mismatch = 'backbone.bridger.stages.0.zoom_in.conv.weight ((16, 128, 2, 2) vs (16, 64, 1, 1))'
    assert mismatch in message
    assert not dst.exists()


def test_pickled_code_is_refused(tool, tmp_path):
    marker = tmp_path / 'pwned'

    class RunsCommand:

        def __reduce__(self):
            import os
            return os.system, (f'touch {marker}', )

    src = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'scheduler': RunsCommand()}, src)
    with pytest.raises(UnsafeCheckpointError):
        tool.read_reference_checkpoint(str(src))
    assert not marker.exists()


def test_safetensors_source_and_destination(tiny, run_tool, tmp_path):
    """SRC a reference state dict saved as safetensors; DST written as one."""
    import json

    from safetensors import safe_open

    from mmris.checkpoint.safetensors_file import save_safetensors
    config, state_dict = tiny['vitb']
    src, dst = tmp_path / 'best_model.safetensors', tmp_path / 'etris_vitb.safetensors'
    save_safetensors(to_reference_layout(state_dict, plain_zoom=False), str(src))
    result = run_tool('model_converters/etris2mmris.py', src, dst, '--config', config)
    assert result.returncode == 0, result.stdout[-3000:]
    with safe_open(str(dst), framework='pt') as f:
        assert json.loads(f.metadata()['mmris_meta'])['source'] == str(src)
    from mmris.apis import init_model
    model = init_model(str(config), str(dst))  # strict load
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state_dict.items())


def test_cli_writes_a_parameter_efficient_checkpoint(tiny, run_tool, tmp_path,
                                                     clip_weights_writer):

    from mmris.apis import init_model
    config, _ = tiny['rn50']
    weights = clip_weights_writer(Config.fromfile(str(config)), tmp_path / 'clip.pt')
    config = tmp_path / 'tiny_rn50_clip.py'
    config.write_text(tiny['rn50'][0].read_text() +
                      f"model['backbone']['clip_weights'] = {weights!r}\n")
    model = init_model(str(config))
    model.init_weights()  # the towers come from the CLIP weights, as in training
    state_dict = model.state_dict()
    src, full, small = tmp_path / 'best_model.pth', tmp_path / 'full.pth', tmp_path / 'pet.pth'
    torch.save(reference_checkpoint(state_dict, plain_zoom=True), src)
    result = run_tool('model_converters/etris2mmris.py', src, full, '--config', config)
    assert result.returncode == 0, result.stdout[-3000:]
    result = run_tool('model_converters/etris2mmris.py', src, small, '--config', config,
                      '--parameter-efficient')
    assert result.returncode == 0, result.stdout[-3000:]

    omitted = safe_load(str(small))['meta']['parameter_efficient']['omitted_keys']
    frozen = {k for k, p in model.named_parameters() if not p.requires_grad}
    # Left out: every frozen weight that init_weights gives back (the CLIP
    # file's), except those a model has as soon as it is built, whatever the
    # seed (BatchNorm and LayerNorm 1 / 0, zero biases); the randomly
    # initialised conv of the `connect` branch, trainable weights and
    # buffers stay.
    built = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        built.append(init_model(str(config)).state_dict())  # no init_weights
    as_built = {key for key in frozen if torch.equal(built[0][key], built[1][key])}
    random_conv = 'backbone.vision_encoder.attnpool.connect.0.weight'
    assert random_conv in frozen and 0 < len(as_built) < len(frozen)
    assert set(omitted) == frozen - as_built - {random_conv}
    assert small.stat().st_size < full.stat().st_size
    for path in (full, small):
        loaded = init_model(str(config), str(path)).state_dict()
        assert all(torch.equal(loaded[k], v) for k, v in state_dict.items())

    result = run_tool('model_converters/etris2mmris.py', src, small, '--parameter-efficient')
    assert result.returncode == 2
    assert result.last_line == 'error: --parameter-efficient needs --config (the frozen ' \
                               'weights it leaves out come from the weights files of that config)'

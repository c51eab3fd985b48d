"""mmseg's and mmdet's own tools/train.py and tools/test.py (shipped in their
packages' .mim/tools) train and test configs written as their users write
them: the parent's runtime base, mmris' model base, data of their own.

Those tools read the config before anything imports mmris, so mmengine
cannot resolve ``mmris::`` there; such configs name mmris' bases by their
path (``mmris.config_package.CONFIG_ROOT``) and import mmris with
``custom_imports`` (docs/new_config.md, "From mmseg's or mmdet's tools").
"""
import json
import subprocess
from pathlib import Path

import mmdet
import mmseg
import pytest
from mmris_fixtures.warm_python import warm_python_executable

from mmris.config_package import CONFIG_ROOT
from mmris.synthetic import generate_synthetic_coco, generate_synthetic_shapes

SEG_CONFIG = '''
_base_ = ['mmseg::_base_/default_runtime.py',
          '{root}/_base_/models/etris-seg_vitb16.py']
custom_imports = dict(imports=['mmris'], allow_failed_imports=False)
# mmris' Runner writes checkpoints that torch.load(weights_only=True) opens.
runner_type = 'mmris.Runner'
classes = ('background', 'circle', 'square', 'triangle')
model = dict(
    data_preprocessor=dict(size=(32, 32)),
    backbone=dict(
        clip_weights=None, classes=list(classes),
        vision_encoder=dict(input_size=32, patch_size=4, width=32, layers=3, heads=2,
                            output_dim=32),
        text_encoder=dict(width=32, layers=3, heads=2, embed_dim=32),
        bridger=dict(d_model=16, interactor=dict(num_heads=2))),
    neck=dict(in_channels=[32, 32, 32], text_channels=32, channels=32, num_heads=2),
    decode_head=dict(in_channels=32, text_channels=32, num_classes=len(classes),
                     decoder=dict(num_layers=1, num_heads=2, ffn_channels=32), channels=16),
    test_cfg=dict(mode='whole'))
dataset = dict(type='BaseSegDataset', data_root='{data}', metainfo=dict(classes=classes),
               img_suffix='.png', seg_map_suffix='.png')
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=2, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(dataset, data_prefix=dict(img_path='img_dir/train',
                                           seg_map_path='ann_dir/train'), pipeline=pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset, data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
                 pipeline=pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2))
'''

DET_CONFIG = '''
_base_ = ['mmdet::_base_/default_runtime.py',
          '{root}/_base_/models/fcos_etris-vitb16_simplefpn.py']
custom_imports = dict(imports=['mmris'], allow_failed_imports=False)
# mmris' Runner writes checkpoints that torch.load(weights_only=True) opens.
runner_type = 'mmris.Runner'
classes = ('circle', 'square', 'triangle')
model = dict(
    backbone=dict(
        clip_weights=None, classes=list(classes),
        vision_encoder=dict(input_size=64, patch_size=8, width=32, layers=3, heads=2,
                            output_dim=32),
        text_encoder=dict(width=32, layers=3, heads=2, embed_dim=32),
        bridger=dict(d_model=16, interactor=dict(num_heads=2))),
    neck=dict(in_channels=32, out_channels=32, scale_factors=(2.0, 1.0, 0.5), num_outs=3),
    bbox_head=dict(in_channels=32, text_channels=32, num_classes=len(classes), stacked_convs=1,
                   feat_channels=32, embed_channels=32, strides=[4, 8, 16],
                   norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
                   regress_ranges=((-1, 16), (16, 32), (32, 1e8))),
    # Two iterations from random weights score every box near the head's prior
    # (0.01), under the base's 0.05 threshold; keep them so CocoMetric has
    # detections to evaluate.
    test_cfg=dict(score_thr=0.0))
randomness = dict(seed=0)
dataset = dict(type='CocoDataset', data_root='{data}/', metainfo=dict(classes=classes))
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                  dict(type='Resize', scale=(64, 64), keep_ratio=True),
                  dict(type='PackDetInputs')]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(64, 64), keep_ratio=True),
                 dict(type='LoadAnnotations', with_bbox=True),
                 dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                                       'img_shape', 'scale_factor'))]
train_dataloader = dict(
    batch_size=2, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(dataset, ann_file='annotations/instances_train.json',
                 data_prefix=dict(img='train/'), filter_cfg=dict(filter_empty_gt=False),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset, ann_file='annotations/instances_val.json',
                 data_prefix=dict(img='val/'), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', metric='bbox',
                     ann_file='{data}/annotations/instances_val.json')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2))
log_processor = dict(by_epoch=False)
'''


def shipped_tool(package, name: str) -> Path:
    return Path(package.__file__).parent / '.mim' / 'tools' / name


def launch(tool: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``tool`` with ``args`` in ``cwd``; stdout and stderr together."""
    return subprocess.run([warm_python_executable(), str(tool), *map(str, args)], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600)


def run(tool: Path, *args, cwd: Path):
    result = launch(tool, *args, cwd=cwd)
    assert result.returncode == 0, f'{tool} {args}:\n{result.stdout[-5000:]}'
    return result.stdout


def train_then_test(package, config: Path, tmp_path: Path) -> str:
    """Train 2 iterations with the package's shipped train.py, then test the
    checkpoint with its test.py; returns test.py's output."""
    work_dir = tmp_path / 'work'
    run(shipped_tool(package, 'train.py'), config, '--work-dir', work_dir, cwd=tmp_path)
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file(), sorted(p.name for p in work_dir.iterdir())
    return run(shipped_tool(package, 'test.py'), config, checkpoint, '--work-dir', work_dir,
               cwd=tmp_path)


def test_mmseg_tools_train_and_test_a_user_config(tmp_path):
    data = tmp_path / 'shapes'
    generate_synthetic_shapes(str(data), num_train=4, num_val=2, size=32, seed=0)
    config = tmp_path / 'etris-seg_user.py'
    config.write_text(SEG_CONFIG.format(root=CONFIG_ROOT, data=data))
    output = train_then_test(mmseg, config, tmp_path)
    assert 'mIoU' in output


def test_mmdet_tools_train_and_test_a_user_config(tmp_path):
    data = tmp_path / 'coco'
    generate_synthetic_coco(str(data), num_train=4, num_val=2, size=64, seed=0)
    assert json.loads((data / 'annotations' / 'instances_val.json').read_text())['images']
    config = tmp_path / 'fcos_etris_user.py'
    config.write_text(DET_CONFIG.format(root=CONFIG_ROOT, data=data))
    output = train_then_test(mmdet, config, tmp_path)
    assert 'bbox_mAP' in output


@pytest.mark.parametrize('package', [mmseg, mmdet], ids=['mmseg', 'mmdet'])
def test_mmris_scope_in_their_tools_fails_in_mmengine(package, tmp_path):
    """What the docs warn about: ``mmris::`` is read before custom_imports."""
    config = tmp_path / 'scoped.py'
    config.write_text("_base_ = ['mmris::_base_/models/etris_vitb16.py']\n"
                      "custom_imports = dict(imports=['mmris'])\n")
    result = launch(shipped_tool(package, 'train.py'), config, cwd=tmp_path)
    assert result.returncode != 0
    assert 'mmengine does not support to load mmris config' in result.stdout


@pytest.mark.parametrize('package, config, head', [
    (mmseg, 'demo/etris-seg_tiny_synthetic-shapes.py', 'decode_head'),
    (mmdet, 'demo/fcos_etris-tiny_simplefpn_synthetic-coco.py', 'bbox_head'),
], ids=['mmseg', 'mmdet'])
def test_their_tools_check_the_parts_of_mmris_configs(package, config, head, tmp_path):
    """mmris' configs name mmris' Runner, which checks the parts of the
    stock segmentor or detector it builds: under the parent's own train.py a
    head built for other widths than the neck gives ends in one line naming
    both, before any data is read (the generated sets are not there)."""
    result = launch(shipped_tool(package, 'train.py'), Path(CONFIG_ROOT) / config, '--work-dir',
                    tmp_path / 'work', '--cfg-options', f'model.{head}.in_channels=24',
                    cwd=tmp_path)
    assert result.returncode != 0
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith('mmris.utils.errors.PartsMismatchError: '), result.stdout[-3000:]
    assert 'in_channels=(24' in last and 'does not fit' in last and 'out_channels=(64' in last
    assert 'Iter(train)' not in result.stdout

"""mmris registries are children of mmseg's: names resolve across scopes."""
import subprocess
import sys

from mmengine.registry import DefaultScope

from mmris.datasets import SyntheticShapesDataset
from mmris.engine import Runner
from mmris.registry import DATASETS, MODELS, RUNNERS


def test_mmris_scope_finds_plain_mmseg_names_and_mmdet_prefixed_names():
    from mmdet.models.losses import DiceLoss
    from mmseg.models.backbones import UNet
    with DefaultScope.overwrite_default_scope('mmris'):
        unet = MODELS.build(dict(type='UNet', base_channels=4, num_stages=2, strides=(1, 1),
                                 enc_num_convs=(1, 1), dec_num_convs=(1, ),
                                 downsamples=(True, ), enc_dilations=(1, 1),
                                 dec_dilations=(1, )))
        loss = MODELS.build(dict(type='mmdet.DiceLoss'))
        assert RUNNERS.get('Runner') is Runner
    assert type(unet) is UNet
    assert type(loss) is DiceLoss


def test_mmris_components_build_by_plain_name_in_mmris_scope(shapes_root):
    with DefaultScope.overwrite_default_scope('mmris'):
        dataset = DATASETS.build(dict(
            type='SyntheticShapesDataset', data_root=str(shapes_root),
            data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val')))
    assert isinstance(dataset, SyntheticShapesDataset)
    assert len(dataset) == 4


def test_mmseg_and_mmdet_configs_find_mmris_components(shapes_root):
    # A fresh interpreter that imports nothing of mmris: the 'mmris.' prefix
    # must import mmris' registry and its lazy locations by itself.
    code = f'''
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS
from mmdet.registry import RUNNERS
with DefaultScope.overwrite_default_scope('mmseg'):
    dataset = DATASETS.build(dict(type='mmris.SyntheticShapesDataset',
        data_root={str(shapes_root)!r},
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train')))
with DefaultScope.overwrite_default_scope('mmdet'):
    runner = RUNNERS.get('mmris.Runner')
print(type(dataset).__module__, len(dataset), runner.__module__)
'''
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['mmris.datasets.synthetic_shapes', '16',
                                     'mmris.engine.runner']


def test_register_all_modules_sets_the_mmris_scope():
    code = '''
from mmengine.registry import DefaultScope
from mmris.utils import register_all_modules
register_all_modules()
print(DefaultScope.get_current_instance().scope_name)
'''
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'mmris'


def test_mmris_modules_build_their_children_in_the_scope_the_child_names(tiny_config):
    # An mmdet config builds the Bridger backbone and TextCarryingNeck; their
    # children (CLIP towers, Bridger, mmdet's FPN) resolve although the
    # default scope is mmdet's.
    from mmdet.models.necks import FPN
    from mmdet.registry import MODELS as MMDET_MODELS

    from mmris.models import BridgedDualEncoder, CLIPTextEncoder, TextCarryingNeck
    backbone = dict(tiny_config('rn50').model.backbone, type='mmris.BridgedDualEncoder',
                    classes=['a', 'b'], out_indices=(0, 1, 2, 3))
    with DefaultScope.overwrite_default_scope('mmdet'):
        built = MMDET_MODELS.build(backbone)
        neck = MMDET_MODELS.build(dict(type='mmris.TextCarryingNeck',
                                       neck=dict(type='mmdet.FPN', in_channels=[32, 64, 128, 256],
                                                 out_channels=8, num_outs=5)))
    assert type(built) is BridgedDualEncoder and type(built.text_encoder) is CLIPTextEncoder
    assert type(neck) is TextCarryingNeck and type(neck.neck) is FPN
    # An mmdet child builds its own children in mmdet's scope, from any scope.
    with DefaultScope.overwrite_default_scope('mmris'):
        rpn = MODELS.build(dict(type='mmdet.RPNHead', in_channels=4, feat_channels=4,
                                anchor_generator=dict(type='AnchorGenerator', scales=[8],
                                                      ratios=[1.0], strides=[4])))
    assert type(rpn.prior_generator).__module__.startswith('mmdet.')

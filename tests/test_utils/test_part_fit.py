"""Explicit widths: every neck and head builds alone from its own arguments,
and a model whose parts do not fit fails at build time, naming both."""
import pytest
import torch
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope

from mmris.models.utils import BridgedFeatures, TextFeatures
from mmris.registry import MODELS
from mmris.utils.errors import PartsMismatchError, UserError
from mmris.utils.part_fit import check_parts_fit, output_channels

DECODER = dict(type='GlobalAlignmentDecoder', num_layers=1, num_heads=2, ffn_channels=16,
               dropout=0.)
FCOS = dict(type='mmris.TextFCOSHead', num_classes=3, in_channels=8, text_channels=6,
            stacked_convs=1, feat_channels=8, embed_channels=4, strides=[8, 16],
            regress_ranges=((-1, 16), (16, 1e8)), norm_cfg=None)
#: Each neck and head with nothing but its own arguments, the input it
#: takes, and the shape of its first output. Texts are 6 wide, words 8.
PARTS = {
    'CascadedAlignmentNeck': (
        dict(type='CascadedAlignmentNeck', in_channels=[4, 5, 7], text_channels=6, channels=8,
             num_heads=2),
        [(4, 4, 4), (5, 4, 4), (7, 4, 4)], (1, 8, 4, 4)),
    'GlobalAlignmentNeck': (
        dict(type='GlobalAlignmentNeck', decoder=DECODER, in_channels=8, word_channels=8),
        [(8, 4, 4)], (1, 8, 4, 4)),
    'SimpleFeaturePyramid': (
        dict(type='SimpleFeaturePyramid', in_channels=8, out_channels=4,
             scale_factors=(2.0, 1.0)),
        [(8, 4, 4)], (1, 4, 8, 8)),
    'TextCarryingNeck': (
        dict(type='TextCarryingNeck',
             neck=dict(type='mmdet.FPN', in_channels=[4, 8], out_channels=4, num_outs=2)),
        [(4, 8, 8), (8, 4, 4)], (1, 4, 8, 8)),
    'ProjectorHead': (
        dict(type='ProjectorHead', decoder=DECODER, in_channels=8, text_channels=6, channels=4),
        [(8, 4, 4)], (1, 1, 16, 16)),
    'TextKernelHead': (
        dict(type='TextKernelHead', in_channels=8, text_channels=6, num_classes=3, channels=4,
             decoder=DECODER),
        [(8, 4, 4)], (1, 3, 16, 16)),
    'TextFCOSHead': (FCOS, [(8, 8, 8), (8, 4, 4)], (1, 3, 8, 8)),
}


def _features(shapes, num_texts):
    torch.manual_seed(0)
    texts = torch.randn(1, num_texts, 6) if num_texts > 1 else torch.randn(1, 6)
    return BridgedFeatures([torch.randn(1, *shape) for shape in shapes],
                           TextFeatures(texts, torch.randn(1, 3, 8),
                                        torch.tensor([[False, False, True]])))


@pytest.mark.parametrize('name', PARTS)
def test_each_part_builds_alone_from_its_own_arguments(name):
    cfg, shapes, out_shape = PARTS[name]
    # mmdet's heads build their losses and coders in mmdet's scope.
    scope = 'mmdet' if cfg['type'].startswith('mmris.Text') else 'mmris'
    with DefaultScope.overwrite_default_scope(scope):
        part = ROOT_MODELS.build(cfg).eval()
    num_texts = cfg.get('num_classes', 1)
    with torch.no_grad():
        out = part(_features(shapes, num_texts))
    first = out[0][0] if name == 'TextFCOSHead' else out[0] if isinstance(out, tuple) else out
    assert tuple(first.shape) == out_shape


@pytest.mark.parametrize('name', ['CascadedAlignmentNeck', 'ProjectorHead', 'TextKernelHead'])
def test_a_part_without_its_widths_does_not_build(name):
    cfg = {key: value for key, value in PARTS[name][0].items() if key != 'text_channels'}
    with pytest.raises(TypeError, match='text_channels'):
        MODELS.build(cfg)


def _tiny_etris(tiny_config, **changes):
    cfg = tiny_config('vitb')
    cfg.merge_from_dict(changes)
    return cfg.model


def test_a_neck_that_does_not_fit_the_backbone_fails_at_build_naming_both(tiny_config):
    model = _tiny_etris(tiny_config, **{'model.neck.in_channels': [32, 32, 24]})
    with pytest.raises(PartsMismatchError) as error:
        MODELS.build(model)
    message = str(error.value)
    assert '\n' not in message and isinstance(error.value, UserError)
    assert ('CascadedAlignmentNeck in_channels=(32, 32, 24) does not fit BridgedDualEncoder '
            'out_channels=(32, 32, 32)') in message


def test_a_head_whose_text_width_differs_fails_at_build_naming_both(tiny_config):
    model = _tiny_etris(tiny_config, **{'model.decode_head.text_channels': 16})
    with pytest.raises(PartsMismatchError,
                       match='ProjectorHead text_channels=16 does not fit BridgedDualEncoder '
                             'text_channels=32'):
        MODELS.build(model)


def test_a_head_that_does_not_fit_the_neck_fails_at_build(tiny_config):
    model = _tiny_etris(tiny_config, **{'model.neck.channels': 16})
    with pytest.raises(PartsMismatchError,
                       match=r'ProjectorHead in_channels=\(32,\) does not fit '
                             r'CascadedAlignmentNeck out_channels=\(16,\)'):
        MODELS.build(model)


def test_the_referring_detector_checks_its_chain(tiny_det_config):
    cfg = tiny_det_config('configs/etris_refdet/refdet-fcos_etris-vitb16_simplefpn_50e_refcoco.py')
    cfg.merge_from_dict({'model.neck.2.in_channels': 24})
    with DefaultScope.overwrite_default_scope('mmdet'):
        with pytest.raises(PartsMismatchError,
                           match=r'SimpleFeaturePyramid in_channels=\(24,\) does not fit '
                                 r'GlobalAlignmentNeck out_channels=\(32,\)'):
            ROOT_MODELS.build(cfg.model)


def test_widths_of_stock_parts_are_read_as_mmdet_states_them():
    with DefaultScope.overwrite_default_scope('mmdet'):
        fpn = ROOT_MODELS.build(dict(type='mmdet.FPN', in_channels=[4, 8], out_channels=4,
                                     num_outs=3))
        head = ROOT_MODELS.build(dict(FCOS, in_channels=5))
    assert output_channels(fpn) == (4, 4, 4)
    with pytest.raises(PartsMismatchError, match=r'in_channels=\(5, 5, 5\) does not fit FPN '
                                                 r'out_channels=\(4, 4, 4\)'):
        check_parts_fit(fpn, head)


STOCK_CONFIGS = [
    *(f'configs/etris_seg/{name}' for name in (
        'etris-vitb16_4xb4-40k_voc12aug-512x512.py', 'etris-rn50_4xb4-40k_voc12aug-512x512.py')),
    *(f'configs/etris_det/{name}' for name in (
        'fcos_etris-vitb16_simplefpn_1x_coco.py', 'retinanet_etris-rn50_fpn_1x_coco.py',
        'mask-rcnn_etris-rn50_fpn_1x_coco.py')),
]


def _tiny_stock_config(path, tiny_seg_config, tiny_det_config):
    if '/etris_seg/' in path:
        return tiny_seg_config(path.rpartition('/')[2][:-3])
    return tiny_det_config(path)


@pytest.mark.parametrize('path', STOCK_CONFIGS)
def test_stock_models_are_checked_after_build(path, tiny_seg_config, tiny_det_config):
    """mmseg's EncoderDecoder and mmdet's detectors build their parts
    without checking them: check_model_parts_fit (init_model and mmris'
    Runner run it) passes on the configs as they are, and fails
    in one line naming both parts once the head takes other widths than the
    neck gives."""
    from mmris.utils.part_fit import check_model_parts_fit
    cfg = _tiny_stock_config(path, tiny_seg_config, tiny_det_config)
    head_name = 'decode_head' if 'decode_head' in cfg.model else (
        'rpn_head' if 'rpn_head' in cfg.model else 'bbox_head')
    with DefaultScope.overwrite_default_scope('mmris'):
        check_model_parts_fit(ROOT_MODELS.build(cfg.model))
        cfg.model[head_name].in_channels = 24
        model = ROOT_MODELS.build(cfg.model)  # the parent's class builds it
    with pytest.raises(PartsMismatchError) as error:
        check_model_parts_fit(model)
    message = str(error.value)
    head, neck = type(getattr(model, head_name)).__name__, type(model.neck).__name__
    assert '\n' not in message
    assert message.startswith(f'{head} in_channels=(24') and f'does not fit {neck}' in message


def test_init_model_checks_a_stock_model(tiny_seg_config, tmp_path):
    from mmris.apis import init_model
    cfg = tiny_seg_config('etris-vitb16_4xb4-40k_voc12aug-512x512')
    cfg.model.decode_head.in_channels = 24
    with pytest.raises(PartsMismatchError, match=r'TextKernelHead in_channels=\(24,\)'):
        init_model(cfg)


def test_tools_train_refuses_a_stock_model_whose_parts_do_not_fit(
        tiny_seg_config, write_seg_dataset, run_tool, tmp_path):
    cfg = tiny_seg_config('etris-vitb16_4xb4-40k_voc12aug-512x512')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False)
        write_seg_dataset(cfg[loader].dataset, tmp_path / 'data')
    cfg.model.decode_head.in_channels = 24
    config = tmp_path / 'mismatched.py'
    cfg.dump(str(config))
    result = run_tool('train.py', config, '--work-dir', tmp_path / 'work')
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line.startswith('error: TextKernelHead in_channels=(24,) does not fit '
                                       'CascadedAlignmentNeck')
    assert 'Iter(train)' not in result.stdout

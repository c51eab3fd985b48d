"""The model bases write scoped type names (mmris.X, mmseg.X, mmdet.X), so a
config builds the same model under default scope mmris, mmseg or mmdet: the
scope of a runtime base a user puts next to ours (mmseg's or mmdet's
default_runtime.py)."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

REPO = Path(__file__).parents[1]
SCOPES = ['mmris', 'mmseg', 'mmdet']


def _built_classes(model_cfg, scope: str) -> dict:
    """The class of every submodule of the model built under ``scope``."""
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(model_cfg)
    return {name: type(module) for name, module in model.named_modules()}


def _tiny_models(tiny_config, tiny_seg_config, tiny_det_config) -> dict:
    """Referring, semantic-segmentation and detection models of the bases,
    on tiny towers."""
    return {
        'referring vitb': tiny_config('vitb').model,
        'referring rn50': tiny_config('rn50').model,
        'seg vitb16': tiny_seg_config('etris-vitb16_4xb4-40k_voc12aug-512x512').model,
        'seg rn50': tiny_seg_config('etris-rn50_4xb4-40k_voc12aug-512x512').model,
        'retinanet': tiny_det_config(
            'configs/etris_det/retinanet_etris-rn50_fpn_1x_custom-classes.py').model,
        'fcos': tiny_det_config('configs/etris_det/fcos_etris-vitb16_simplefpn_1x_coco.py').model,
        'refdet': tiny_det_config(
            'configs/etris_refdet/refdet-fcos_etris-vitb16_simplefpn_50e_refcoco.py').model,
    }


@pytest.mark.parametrize('scope', SCOPES)
def test_the_bases_build_the_same_model_under_each_default_scope(
        scope, tiny_config, tiny_seg_config, tiny_det_config):
    for name, model_cfg in _tiny_models(tiny_config, tiny_seg_config, tiny_det_config).items():
        home = 'mmdet' if name in ('retinanet', 'fcos', 'refdet') else 'mmris'
        expected = _built_classes(model_cfg, home)
        built = _built_classes(model_cfg, scope)
        assert built == expected, name


def test_a_user_config_on_mmsegs_runtime_builds_our_model(tmp_path):
    """mmseg's default_runtime.py sets default_scope='mmseg'; our seg model
    base, inherited by path (no ``mmris::`` scope marks), builds under it."""
    base = REPO / 'configs' / '_base_' / 'models' / 'etris-seg_vitb16.py'
    config = tmp_path / 'user_config.py'
    config.write_text(
        f"_base_ = ['mmseg::_base_/default_runtime.py', {str(base)!r}]\n"
        "model = dict(backbone=dict(classes=['sky', 'road'], clip_weights=None,\n"
        "             vision_encoder=dict(layers=3), text_encoder=dict(layers=3)),\n"
        "             decode_head=dict(num_classes=2))\n")
    cfg = Config.fromfile(str(config))
    assert cfg.default_scope == 'mmseg'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    assert type(model).__module__.startswith('mmseg')  # mmseg's EncoderDecoder
    assert type(model.backbone).__name__ == 'BridgedDualEncoder'
    assert type(model.decode_head).__name__ == 'TextKernelHead'
    assert model.decode_head.loss_decode.__module__.startswith('mmseg')


def _data_and_runtime_classes(cfg: Config, scope: str, save_dir: Path) -> dict:
    """The classes that ``cfg``'s data and runtime entries build under
    ``scope``: test dataset and its pipeline, evaluator, visualization hook
    and visualizer."""
    from mmengine.registry import DATASETS, HOOKS, METRICS, VISUALIZERS
    with DefaultScope.overwrite_default_scope(scope):
        dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, lazy_init=True))
        classes = dict(dataset=type(dataset),
                       pipeline=[type(t) for t in dataset.pipeline.transforms],
                       evaluator=type(METRICS.build(cfg.test_evaluator)))
        if 'visualizer' in cfg:  # before the hook, which asks for it
            visualizer = VISUALIZERS.build(dict(cfg.visualizer, name=f'{scope}_{id(cfg)}',
                                                 save_dir=str(save_dir)))
            classes['visualizer'] = type(visualizer)
        if 'visualization' in cfg.get('default_hooks', {}):
            classes['hook'] = type(HOOKS.build(cfg.default_hooks.visualization))
    return classes


@pytest.mark.parametrize('config', [
    'configs/etris/vitb_refcoco.py', 'configs/etris_gres/vitb16_grefcoco.py',
    'configs/etris/vitl14_refcoco.py',
    'configs/etris_refdet/refdet-fcos_etris-vitb16_simplefpn_50e_refcoco.py'])
@pytest.mark.parametrize('scope', SCOPES)
def test_the_data_and_runtime_bases_build_the_same_parts_under_each_default_scope(
        config, scope, tmp_path):
    """A user config on mmseg's or mmdet's runtime base (default scope mmseg
    or mmdet) next to our data bases gets the same dataset, transforms,
    metric, hook and visualizer as our own configs do."""
    cfg = Config.fromfile(str(REPO / config))
    expected = _data_and_runtime_classes(cfg, cfg.default_scope, tmp_path)
    assert _data_and_runtime_classes(Config.fromfile(str(REPO / config)), scope,
                                     tmp_path) == expected
    assert expected['dataset'].__module__.startswith('mmris')

"""The project's configs: each builds a model that classifies, and the demo
trains and tests for one iteration through tools/train.py and tools/test.py
from the repository root (custom_imports finds the project package)."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmris.registry import MODELS

CONFIGS = sorted((Path(__file__).parents[1] / 'configs').glob('*.py'))
TINY_VISION = {
    'CLIPVisionTransformer': dict(input_size=32, patch_size=8, width=32, layers=3, heads=2,
                                  output_dim=32),
    'CLIPModifiedResNet': dict(layers=(1, 1, 1, 1), width=8, output_dim=32, heads=2,
                               pretrain_size=64),
}


@pytest.mark.parametrize('config', CONFIGS, ids=[config.stem for config in CONFIGS])
def test_config_builds_a_classifier(config):
    cfg = Config.fromfile(str(config))
    backbone = cfg.model.backbone
    backbone.clip_weights = None
    backbone.vision_encoder.update(TINY_VISION[backbone.vision_encoder.type.rpartition('.')[2]])
    backbone.text_encoder.update(width=32, layers=3, heads=2, embed_dim=32)
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 64, 64), mode='tensor')
    assert logits.shape == (2, len(cfg.model.backbone.classes))
    assert cfg.custom_imports.imports == ['projects.etris_cls.etris_cls']


def test_demo_trains_and_tests_one_iteration(run_tool, cls_demo_config, cls_demo_options,
                                             tmp_path):
    work_dir = tmp_path / 'work'
    result = run_tool('train.py', cls_demo_config, '--work-dir', work_dir,
                      '--cfg-options', *cls_demo_options(max_iters=1))
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'Iter(train) [1/1]' in result.stdout
    assert 'Iter(val) [3/3]' in result.stdout and 'accuracy/top5' in result.stdout

    result = run_tool('test.py', cls_demo_config, work_dir / 'iter_1.pth', '--work-dir',
                      work_dir, '--cfg-options', *cls_demo_options(max_iters=1))
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'Iter(test) [3/3]' in result.stdout and 'accuracy/top1' in result.stdout


def test_model_and_data_class_lists_must_agree(run_tool, cls_demo_config, cls_demo_options,
                                               tmp_path):
    options = cls_demo_options(max_iters=1)
    options = [o for o in options if not o.startswith('model.backbone.classes=')]
    result = run_tool('train.py', cls_demo_config, '--work-dir', tmp_path,
                      '--cfg-options', *options)
    assert result.returncode != 0
    assert 'the model has 8 classes (model.backbone.classes) but train_dataloader.dataset ' \
           'has 6' in result.stdout

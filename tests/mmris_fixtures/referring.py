"""Tiny referring (ETRIS) configs, models, CLIP weights and a trained run
of tools/train.py."""
from pathlib import Path

import pytest

from .shrinking import TINY_ETRIS, TINY_MAPS, TINY_VISION, letterbox_to_64

REPO = Path(__file__).resolve().parents[2]


def tiny_etris_config(backbone: str, dataset: str = 'refcoco'):
    """``configs/etris/<backbone>_<dataset>.py`` shrunk by the tiny overrides
    (an mmengine Config; ``backbone`` is vitb, rn50 or rn101)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / 'etris' / f'{backbone}_{dataset}.py'))
    options = dict(TINY_ETRIS)
    options.update({f'model.backbone.vision_encoder.{k}': v for k, v in TINY_VISION[backbone].items()})
    options['model.neck.in_channels'] = TINY_MAPS[backbone]
    cfg.merge_from_dict(options)
    letterbox_to_64(cfg)
    return cfg


@pytest.fixture(params=['vitb', 'rn50', 'rn101'])
def tiny_etris_cfg(request):
    """A tiny version of each of the three ETRIS configs."""
    return tiny_etris_config(request.param)


@pytest.fixture(scope='session')
def tiny_config():
    """The function :func:`tiny_etris_config`, for tests that pick a backbone."""
    return tiny_etris_config


@pytest.fixture
def tiny_model_files(tmp_path, tiny_config):
    """The tiny vitb config written to a file and a checkpoint of its randomly
    initialised model: ``(config path, checkpoint path, state dict)``."""
    from mmengine.runner import save_checkpoint

    from mmris.apis import init_model
    cfg = tiny_config('vitb')
    config = tmp_path / 'tiny_vitb.py'
    cfg.dump(str(config))
    state = init_model(cfg).state_dict()
    checkpoint = tmp_path / 'tiny.pth'
    save_checkpoint(state, str(checkpoint))
    return str(config), str(checkpoint), state


def write_clip_weights(cfg, path, seed: int = 0) -> str:
    """Write the towers of ``cfg``'s model, randomly initialised with
    ``seed``, to ``path`` as an OpenAI-layout CLIP state dict (``visual.*``
    and the text keys), which ``model.backbone.clip_weights`` can load."""
    import torch

    from mmris.apis import init_model
    from mmris.models.encoders.clip_weights import openai_clip_state_dict, save_clip_state_dict
    torch.manual_seed(seed)
    backbone = init_model(cfg).backbone
    return save_clip_state_dict(
        openai_clip_state_dict(backbone.vision_encoder, backbone.text_encoder), path,
        torchscript=False)


@pytest.fixture(scope='session')
def etris_config(tmp_path_factory, refcoco_root):
    """What the tool tests train and test: ``configs/etris/vitb_refcoco.py``
    shrunk (:func:`tiny_etris_config`), its towers read from a generated
    CLIP file (so its checkpoints leave them out), to read the generated
    referring set, 4 training objects (2 iterations of batch 2 per epoch), with seed 0,
    written to a file. Returns its path."""
    cfg = tiny_etris_config('vitb')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(refcoco_root)
        cfg[loader].batch_size = 2
        cfg[loader].num_workers = 1
    cfg.train_dataloader.dataset.indices = 4
    cfg.randomness = dict(seed=0)
    folder = tmp_path_factory.mktemp('configs')
    cfg.model.backbone.clip_weights = write_clip_weights(cfg, folder / 'clip.pt')
    path = folder / 'etris_tiny_vitb.py'
    cfg.dump(str(path))
    return str(path)


def schedule_arguments(max_epochs: int, schedule_end: int = None) -> list:
    """``--cfg-options`` for a run of :func:`etris_config` of ``max_epochs``
    epochs of a schedule of ``schedule_end`` epochs (default: the same)
    whose learning rate drops x0.1 after epoch 1, logging every iteration."""
    return ['--cfg-options', f'train_cfg.max_epochs={max_epochs}',
            f'param_scheduler.0.end={schedule_end or max_epochs}',
            'param_scheduler.0.milestones=[1]', 'default_hooks.logger.interval=1']


@pytest.fixture
def schedule_options():
    """The function :func:`schedule_arguments`."""
    return schedule_arguments


@pytest.fixture(scope='session')
def clip_weights_writer():
    """The function :func:`write_clip_weights`."""
    return write_clip_weights


@pytest.fixture(scope='session')
def trained_etris(tmp_path_factory, etris_config, run_tool):
    """A work dir where ``tools/train.py`` trained :func:`etris_config` for
    epoch 1 of a 2-epoch schedule (``epoch_1.pth``); tests copy it rather
    than write to it."""
    work_dir = tmp_path_factory.mktemp('trained_etris')
    result = run_tool('train.py', etris_config, '--work-dir', work_dir,
                      *schedule_arguments(max_epochs=1, schedule_end=2))
    assert result.returncode == 0, result.stdout[-3000:]
    return work_dir

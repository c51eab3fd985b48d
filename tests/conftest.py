"""Fixtures shared by the tests: the repository, a generated data set, and
running the command-line tools the way a user does."""
import os
import os.path as osp
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope='session')
def mmris_default_scope():
    """Build from mmris' registries by default, as the tools and configs do."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmris')


@pytest.fixture
def free_port():
    """A function returning a TCP port free on 127.0.0.1 right now, as a str."""

    def port() -> str:
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            return str(sock.getsockname()[1])

    return port


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory):
    """A small synthetic shapes set (16 train, 4 val images of 32x32)."""
    from mmris.datasets import generate_synthetic_shapes
    root = tmp_path_factory.mktemp('synthetic_shapes')
    generate_synthetic_shapes(str(root), num_train=16, num_val=4, size=32, seed=0)
    return root


@pytest.fixture(scope='session')
def refcoco_root(tmp_path_factory):
    """A small synthetic referring set in the refer layout (12 images of at
    most 64 px: refcoco/instances.json, refcoco/refs(unc).p, train2014/)."""
    from mmris.datasets import generate_synthetic_refcoco
    root = tmp_path_factory.mktemp('synthetic_refcoco')
    generate_synthetic_refcoco(str(root), num_images=12, size=64, seed=0)
    return root


def run_tool_process(script: str, *args, env: dict = None, timeout: int = 600):
    """Run ``python tools/<script>`` (or ``bash tools/<script>.sh``) from the
    repository root, as a user would. Returns the CompletedProcess with
    stdout and stderr merged in ``.stdout`` and its last non-empty line in
    ``.last_line``."""
    command = (['bash', str(REPO / 'tools' / script)] if script.endswith('.sh') else
               [sys.executable, str(REPO / 'tools' / script)])
    full_env = dict(os.environ, PYTHON=sys.executable, PYTHONUNBUFFERED='1', **(env or {}))
    result = subprocess.run([*command, *map(str, args)], cwd=REPO, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=timeout)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    result.last_line = lines[-1] if lines else ''
    return result


@pytest.fixture
def run_tool():
    """The function :func:`run_tool_process`."""
    return run_tool_process



# Overrides that shrink the ETRIS configs to a few thousand-wide layers on a
# 64x64 input, keeping every code path (same classes, stages and strides).
TINY_ETRIS = {
    'model.data_preprocessor.size': (64, 64),
    'model.backbone.clip_weights': None,
    'model.backbone.text_encoder.width': 32,
    'model.backbone.text_encoder.layers': 3,
    'model.backbone.text_encoder.heads': 2,
    'model.backbone.text_encoder.embed_dim': 32,
    'model.backbone.bridger.d_model': 16,
    'model.backbone.bridger.interactor.num_heads': 2,
    'model.neck.channels': 32,
    'model.neck.num_heads': 2,
    'model.decode_head.channels': 16,
    'model.decode_head.decoder.num_layers': 1,
    'model.decode_head.decoder.num_heads': 2,
    'model.decode_head.decoder.ffn_channels': 32,
}
TINY_VISION = {
    'vitb': {'input_size': 64, 'width': 32, 'layers': 3, 'heads': 2, 'output_dim': 32},
    'rn50': {'layers': (1, 1, 1, 1), 'width': 8, 'output_dim': 32, 'heads': 2, 'pretrain_size': 64},
    'rn101': {'layers': (1, 1, 2, 1), 'width': 8, 'output_dim': 32, 'heads': 2, 'pretrain_size': 64},
}


def tiny_etris_config(backbone: str, dataset: str = 'refcoco'):
    """``configs/etris/<backbone>_<dataset>.py`` shrunk by the tiny overrides
    (an mmengine Config; ``backbone`` is vitb, rn50 or rn101)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / 'etris' / f'{backbone}_{dataset}.py'))
    options = dict(TINY_ETRIS)
    options.update({f'model.backbone.vision_encoder.{k}': v for k, v in TINY_VISION[backbone].items()})
    cfg.merge_from_dict(options)
    pipelines = [cfg.train_pipeline, cfg.test_pipeline,
                 *(cfg[loader].dataset.pipeline for loader in
                   ('train_dataloader', 'val_dataloader', 'test_dataloader'))]
    for pipeline in pipelines:
        for step in pipeline:
            if step['type'] == 'RISLetterbox':
                step['size'] = 64
    return cfg


@pytest.fixture(params=['vitb', 'rn50', 'rn101'])
def tiny_etris_cfg(request):
    """A tiny version of each of the three ETRIS configs."""
    return tiny_etris_config(request.param)


@pytest.fixture
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
    torch.manual_seed(seed)
    backbone = init_model(cfg).backbone
    vision = backbone.vision_encoder
    weights = {f'visual.{key}': value for key, value in vision.state_dict().items()
               if not key.startswith(vision.keys_not_in_openai_weights)}
    weights.update(backbone.text_encoder.state_dict())
    torch.save(weights, str(path))
    return str(path)


@pytest.fixture(scope='session')
def etris_config(tmp_path_factory, refcoco_root):
    """What the tool tests train and test: ``configs/etris/vitb_refcoco.py``
    shrunk (:func:`tiny_etris_config`) to read the generated referring set,
    4 training objects (2 iterations of batch 2 per epoch), with seed 0,
    written to a file. Returns its path."""
    cfg = tiny_etris_config('vitb')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(refcoco_root)
        cfg[loader].batch_size = 2
        cfg[loader].num_workers = 1
    cfg.train_dataloader.dataset.indices = 4
    cfg.randomness = dict(seed=0)
    path = tmp_path_factory.mktemp('configs') / 'etris_tiny_vitb.py'
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
def trained_etris(tmp_path_factory, etris_config):
    """A work dir where ``tools/train.py`` trained :func:`etris_config` for
    epoch 1 of a 2-epoch schedule (``epoch_1.pth``); tests copy it rather
    than write to it."""
    work_dir = tmp_path_factory.mktemp('trained_etris')
    result = run_tool_process('train.py', etris_config, '--work-dir', work_dir,
                              *schedule_arguments(max_epochs=1, schedule_end=2))
    assert result.returncode == 0, result.stdout[-3000:]
    return work_dir


def shrink_pipelines(cfg, size: int = 64) -> None:
    """Make every resize, crop and pad step of ``cfg``'s pipelines work at
    about ``size`` pixels (in place)."""
    pipelines = [cfg[key] for key in ('train_pipeline', 'test_pipeline') if key in cfg]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        stack = [cfg[loader].dataset]
        while stack:
            dataset = stack.pop()
            stack += dataset.get('datasets', [])
            if 'pipeline' in dataset:
                pipelines.append(dataset.pipeline)
    for pipeline in pipelines:
        for step in pipeline:
            if 'scale' in step:
                step['scale'] = (2 * size, size)
            if 'crop_size' in step:
                step['crop_size'] = (size, size)
            if step['type'] == 'Pad':
                step['size'] = (size, size)


def make_tiny_seg_config(name: str):
    """``configs/etris_seg/<name>.py`` shrunk by the tiny overrides, with
    pipelines and sliding windows at 64 pixels."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / 'etris_seg' / f'{name}.py'))
    backbone = 'rn50' if '-rn50_' in name else 'vitb'
    options = dict(TINY_ETRIS)
    options.update({f'model.backbone.vision_encoder.{k}': v for k, v in TINY_VISION[backbone].items()})
    options.update({'model.decode_head.decoder.num_layers': 1, 'model.test_cfg.crop_size': (64, 64),
                    'model.test_cfg.stride': (42, 42)})
    cfg.merge_from_dict(options)
    shrink_pipelines(cfg)
    return cfg


def write_seg_files(dataset_cfg, root, num_images: int = 2, seed: int = 0) -> None:
    """Point the dataset ``dataset_cfg`` (and any it concatenates) at
    ``root`` (in place) and write ``num_images`` random images and label maps
    where it looks for them: its class's file suffixes, ``data_prefix``
    folders and ``ann_file`` lists."""
    import inspect

    import cv2
    import numpy as np
    from mmseg.registry import DATASETS
    rng = np.random.default_rng(seed)
    stack = [dataset_cfg]
    while stack:
        cfg = stack.pop()
        if 'datasets' in cfg:
            stack += cfg['datasets']
            continue
        cfg['data_root'] = str(root)
        dataset_class = DATASETS.get(cfg['type'])
        defaults = {name: parameter.default for name, parameter in
                    inspect.signature(dataset_class.__init__).parameters.items()}
        option = lambda key: cfg.get(key, defaults.get(key))  # noqa: E731
        classes = cfg.get('metainfo', {}).get('classes') or dataset_class.METAINFO['classes']
        low = 1 if option('reduce_zero_label') else 0  # label 0 is 'ignore' there
        names = [f'sample{i}' for i in range(num_images)]
        for name in names:
            image = osp.join(root, cfg['data_prefix']['img_path'], name + option('img_suffix'))
            label = osp.join(root, cfg['data_prefix']['seg_map_path'],
                             name + option('seg_map_suffix'))
            for path in (image, label):
                os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(image, rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
            cv2.imwrite(label, rng.integers(low, len(classes) + low, (48, 64), dtype=np.uint8))
        if cfg.get('ann_file'):
            ann_file = osp.join(root, cfg['ann_file'])
            os.makedirs(osp.dirname(ann_file), exist_ok=True)
            with open(ann_file, 'w') as f:
                f.write('\n'.join(names) + '\n')


@pytest.fixture
def tiny_seg_config():
    """The function :func:`make_tiny_seg_config` (a config name -> Config)."""
    return make_tiny_seg_config


@pytest.fixture
def write_seg_dataset():
    """The function :func:`write_seg_files` (dataset config, root)."""
    return write_seg_files

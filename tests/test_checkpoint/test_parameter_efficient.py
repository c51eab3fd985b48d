"""Parameter-efficient checkpoints: the Runner leaves out the frozen CLIP
weights, init_model restores them from the config's weights file, and
other weights are refused."""
import pytest
import torch

from mmris.apis import init_model
from mmris.engine import Runner, safe_load
from mmris.utils import CheckpointError


@pytest.fixture
def clip_config(tmp_path, tiny_config, refcoco_root, clip_weights_writer):
    """The tiny ViT ETRIS with its towers read from a generated CLIP file,
    training 1 iteration on the generated referring set."""
    cfg = tiny_config('vitb')
    cfg.model.backbone.clip_weights = clip_weights_writer(cfg, tmp_path / 'clip.pt')
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=str(refcoco_root), indices=2)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.randomness = dict(seed=0)
    return cfg


def _train(cfg, work_dir, **hook):
    cfg = cfg.copy()
    cfg.work_dir = str(work_dir)
    if hook:
        cfg.default_hooks.parameter_efficient_checkpoint = dict(
            type='ParameterEfficientCheckpointHook', **hook)
    Runner.from_cfg(cfg).train()
    return work_dir / 'epoch_1.pth'


def test_runner_leaves_out_the_clip_weights_and_init_model_restores_them(clip_config, tmp_path):
    small = _train(clip_config, tmp_path / 'pet')
    full = _train(clip_config, tmp_path / 'full', save_full_state=True)
    checkpoint = safe_load(str(small))
    model = init_model(clip_config)
    frozen = {k for k, p in model.named_parameters() if not p.requires_grad}
    trainable = {k for k, p in model.named_parameters() if p.requires_grad}
    buffers = {k for k in model.state_dict() if k not in frozen | trainable}
    # Every frozen weight of the ViT towers comes back from the CLIP file and
    # is left out, except those a model has as soon as it is built, whatever
    # the seed (a LayerNorm's 1 / 0, zero biases); nothing else is.
    built = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        built.append(init_model(clip_config).state_dict())  # no init_weights
    as_built = {key for key in frozen if torch.equal(built[0][key], built[1][key])}
    assert 0 < len(as_built) < len(frozen)
    assert set(checkpoint['meta']['parameter_efficient']['omitted_keys']) == frozen - as_built
    assert set(checkpoint['state_dict']) == trainable | buffers | as_built
    assert 'parameter_efficient' not in safe_load(str(full))['meta']
    assert small.stat().st_size < full.stat().st_size

    restored, reference = init_model(clip_config, str(small)), init_model(clip_config, str(full))
    for key, value in reference.state_dict().items():
        assert torch.equal(restored.state_dict()[key], value), key


def test_other_frozen_weights_are_refused(clip_config, tmp_path, clip_weights_writer):
    small = _train(clip_config, tmp_path / 'pet')
    other = clip_config.copy()
    other.model.backbone.clip_weights = clip_weights_writer(other, tmp_path / 'other_clip.pt',
                                                            seed=1)
    with pytest.raises(CheckpointError, match=r'parameter-efficient checkpoint trained on other '
                       r'frozen weights than those this config restores .*trained with '
                       r'model.backbone.clip_weights=.*clip.pt, this config: '
                       r'model.backbone.clip_weights=.*other_clip.pt\): set the config to the '
                       r'weights it was trained with \(--cfg-options '
                       r'model.backbone.clip_weights=\S*/clip.pt\)'):
        init_model(other, str(small))


def test_restoring_keeps_the_init_table_off_the_console_and_names_a_missing_file(
        clip_config, tmp_path, capfd):
    """In a Python session (a logger without a log file), init_model prints
    one line, not mmengine's table of every parameter's initialisation; a
    missing weights file is named in one error."""
    from mmengine.logging import MMLogger
    small = _train(clip_config, tmp_path / 'pet')
    MMLogger.get_instance('a_python_session')  # the current logger: console only
    capfd.readouterr()
    init_model(clip_config, str(small))
    printed = ''.join(capfd.readouterr())
    assert 'is a parameter-efficient checkpoint: restoring the frozen weights' in printed
    assert 'torch.Size([' not in printed
    missing = clip_config.copy()
    missing.model.backbone.clip_weights = str(tmp_path / 'nope.pt')
    with pytest.raises(CheckpointError, match=r"is a parameter-efficient checkpoint: the frozen "
                       r"weights it left out come from model.backbone.clip_weights='.*nope.pt', "
                       r"which does not exist; download them"):
        init_model(missing, str(small))

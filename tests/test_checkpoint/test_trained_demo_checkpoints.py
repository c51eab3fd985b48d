"""The demos' trained checkpoints open in mmseg's and mmdet's own loaders
(``torch.load(weights_only=True)``, no ``init_weights``) and predict there
exactly what they predict through mmris; a parameter-efficient one gets its
frozen towers from the config's CLIP file, or is refused in one line."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmris.apis import init_model
from mmris.engine import Runner
from mmris.utils import CheckpointError

REPO = Path(__file__).resolve().parents[2]
ITERS = 2


def demo_config(name: str) -> Config:
    """``configs/demo/<name>.py`` training ITERS iterations of batch 2 in
    this process, without validation, saving one checkpoint at the end."""
    cfg = Config.fromfile(str(REPO / 'configs' / 'demo' / f'{name}.py'))
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=ITERS)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=ITERS)
    return cfg


def train(cfg: Config, work_dir: Path) -> str:
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = str(work_dir)
    Runner.from_cfg(cfg).train()
    return str(work_dir / f'iter_{ITERS}.pth')


def with_clip_file(cfg: Config, path: Path, writer) -> Config:
    """``cfg`` whose towers come from a generated CLIP file, so that its
    checkpoints are parameter-efficient (towers left out)."""
    cfg = copy.deepcopy(cfg)
    cfg.model.backbone.clip_weights = writer(cfg, path)
    return cfg


def assert_same_weights(model, reference) -> None:
    own = model.state_dict()
    assert own.keys() == reference.state_dict().keys()
    for key, value in reference.state_dict().items():
        assert torch.equal(own[key], value), key


@pytest.fixture(scope='module')
def seg_demo(tmp_path_factory, shapes_root, clip_weights_writer):
    """``(config, checkpoint)`` of the seg demo, full (random towers, which
    nothing restores) and parameter-efficient (towers from a CLIP file)."""
    cfg = demo_config('etris-seg_tiny_synthetic-shapes')
    cfg.train_dataloader.dataset.data_root = str(shapes_root)
    root = tmp_path_factory.mktemp('seg_demo')
    pet = with_clip_file(cfg, root / 'clip.pt', clip_weights_writer)
    return dict(full=(cfg, train(cfg, root / 'full')), pet=(pet, train(pet, root / 'pet')))


@pytest.fixture
def det_demo(tmp_path, clip_weights_writer, write_coco_dataset):
    """``(config, checkpoint, image)`` of the detection demo, parameter-efficient."""
    cfg = demo_config('fcos_etris-tiny_simplefpn_synthetic-coco')
    write_coco_dataset(cfg.train_dataloader.dataset, tmp_path / 'data',
                       cfg.train_dataloader.dataset.metainfo['classes'])
    cfg = with_clip_file(cfg, tmp_path / 'clip.pt', clip_weights_writer)
    image = next((tmp_path / 'data' / 'val').iterdir())
    return cfg, train(cfg, tmp_path / 'work'), str(image)


@pytest.mark.parametrize('kind', ['full', 'pet'])
def test_seg_checkpoint_loads_weights_only_and_says_its_config(seg_demo, kind):
    cfg, checkpoint = seg_demo[kind]
    loaded = torch.load(checkpoint, weights_only=True)  # no allow-list, no mmris scope
    assert loaded['meta']['iter'] == ITERS
    assert loaded['meta']['config_file'].endswith('etris-seg_tiny_synthetic-shapes.py')
    assert ('parameter_efficient' in loaded['meta']) == (kind == 'pet')


@pytest.mark.parametrize('kind', ['full', 'pet'])
def test_mmseg_init_model_and_inference_model_match_mmris(seg_demo, shapes_root, kind):
    from mmseg.apis import inference_model
    from mmseg.apis import init_model as mmseg_init_model

    from mmris.apis import VocabularySegInferencer
    cfg, checkpoint = seg_demo[kind]
    image = str(next((shapes_root / 'img_dir' / 'val').iterdir()))
    theirs = mmseg_init_model(copy.deepcopy(cfg), checkpoint, device='cpu')
    ours = init_model(copy.deepcopy(cfg), checkpoint)
    assert_same_weights(theirs, ours)  # for 'pet': towers from the CLIP file in both
    predicted = inference_model(theirs, image).pred_sem_seg.data
    inferencer = VocabularySegInferencer(model=copy.deepcopy(cfg), weights=checkpoint, device='cpu')
    reference = inferencer(image, return_datasamples=True).pred_sem_seg.data
    assert torch.equal(predicted, reference)


def test_mmseg_init_model_refuses_pet_checkpoint_without_the_clip_file(seg_demo, tmp_path):
    cfg, checkpoint = seg_demo['pet']
    from mmseg.apis import init_model as mmseg_init_model
    missing = copy.deepcopy(cfg)
    missing.model.backbone.clip_weights = str(tmp_path / 'absent' / 'ViT-B-16.pt')
    with pytest.raises(CheckpointError) as error:
        mmseg_init_model(missing, checkpoint, device='cpu')
    message = str(error.value)
    assert '\n' not in message
    assert 'frozen weights of the backbone' in message
    assert f"CLIP weights '{missing.model.backbone.clip_weights}' not found" in message

    unnamed = copy.deepcopy(cfg)
    unnamed.model.backbone.clip_weights = None
    with pytest.raises(CheckpointError, match='the config names no weights file to restore '
                       'them from: set model.backbone.clip_weights'):
        mmseg_init_model(unnamed, checkpoint, device='cpu')


def test_mmdet_init_detector_and_det_inferencer_match_mmris(det_demo):
    from mmdet.apis import DetInferencer, inference_detector, init_detector
    cfg, checkpoint, image = det_demo
    assert 'parameter_efficient' in torch.load(checkpoint, weights_only=True)['meta']
    theirs = init_detector(copy.deepcopy(cfg), checkpoint, device='cpu')
    ours = init_model(copy.deepcopy(cfg), checkpoint)
    assert_same_weights(theirs, ours)
    expected = inference_detector(ours, image).pred_instances
    for result in (inference_detector(theirs, image),
                   DetInferencer(model=copy.deepcopy(cfg), weights=checkpoint, device='cpu')(
                       image, return_datasamples=True)['predictions'][0]):
        got = result.pred_instances
        assert len(got) == len(expected) > 0
        assert torch.equal(got.bboxes, expected.bboxes)
        assert torch.equal(got.labels, expected.labels)
        assert torch.equal(got.scores, expected.scores)


def test_referring_checkpoint_loads_through_mmengine_load_checkpoint(tmp_path, refcoco_root):
    # ETRIS is no EncoderDecoder (mmseg's init_model passes it `pretrained`):
    # the parents' path underneath, a built model and mmengine's loader.
    from mmengine.registry import MODELS
    from mmengine.runner import load_checkpoint
    cfg = demo_config('etris_tiny_synthetic_refcoco')
    cfg.train_dataloader.dataset.data_root = str(refcoco_root)
    checkpoint = train(cfg, tmp_path)
    torch.load(checkpoint, weights_only=True)
    theirs = MODELS.build(copy.deepcopy(cfg.model))
    load_checkpoint(theirs, checkpoint, map_location='cpu', strict=True)
    assert_same_weights(theirs, init_model(copy.deepcopy(cfg), checkpoint))


def _other_model(cfg: Config) -> Config:
    """A copy of ``cfg`` with a wider decode head: a model the checkpoint does not fit."""
    other = copy.deepcopy(cfg)
    other.model.decode_head.channels = 48
    return other


def test_runner_refuses_a_checkpoint_of_another_model_in_one_line(seg_demo, shapes_root):
    cfg, checkpoint = seg_demo['full']
    other = _other_model(cfg)
    other.update(load_from=checkpoint, work_dir=str(shapes_root.parent / 'refused'))
    other.test_dataloader.dataset.data_root = str(shapes_root)
    with pytest.raises(CheckpointError) as error:
        Runner.from_cfg(other).test()
    message = str(error.value)
    assert '\n' not in message
    assert f"checkpoint '{checkpoint}' (written with " in message
    assert 'etris-seg_tiny_synthetic-shapes.py) does not fit the model of this config' in message
    assert 'differ in shape [decode_head.' in message


def test_tools_test_prints_the_refusal_as_one_line(seg_demo, shapes_root, tmp_path, run_tool):
    cfg, checkpoint = seg_demo['full']
    other = _other_model(cfg)
    other.test_dataloader.dataset.data_root = str(shapes_root)
    other.dump(str(tmp_path / 'other.py'))
    result = run_tool('test.py', tmp_path / 'other.py', checkpoint, '--work-dir', tmp_path / 'w')
    assert result.returncode == 2, result.stdout[-2000:]
    assert result.last_line.startswith(f"error: checkpoint '{checkpoint}'")


def test_load_from_partial_loads_what_fits(seg_demo, tmp_path):
    cfg, checkpoint = seg_demo['full']
    other = _other_model(cfg)
    other.update(load_from_partial=True, work_dir=str(tmp_path))
    runner = Runner.from_cfg(other)
    runner.load_checkpoint(checkpoint)
    saved = torch.load(checkpoint, weights_only=True)['state_dict']
    own = runner.model.state_dict()
    fitting = [key for key in saved if own[key].shape == saved[key].shape]
    assert 0 < len(fitting) < len(saved)
    for key in fitting:
        assert torch.equal(own[key], saved[key]), key


def test_resume_from_a_plain_checkpoint_restores_the_message_hub(shapes_root, tmp_path):
    cfg = demo_config('etris-seg_tiny_synthetic-shapes')
    cfg.train_dataloader.dataset.data_root = str(shapes_root)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    train(cfg, tmp_path / 'straight')
    resumed = copy.deepcopy(cfg)
    resumed.update(resume=True, load_from=str(tmp_path / 'straight' / 'iter_1.pth'))
    train(resumed, tmp_path / 'resumed')
    straight, again = (torch.load(tmp_path / run / f'iter_{ITERS}.pth', weights_only=True)
                       for run in ('straight', 'resumed'))
    # The resumed run's history holds iteration 1 (from iter_1.pth) and 2.
    for key in ('train/loss', 'train/lr'):
        history = [c['message_hub']['log_scalars'][key]['log_history'] for c in (straight, again)]
        assert len(history[0]) == len(history[1]) == ITERS, key
        assert history[1][0] == history[0][0], key
    assert torch.equal(straight['message_hub']['log_scalars']['train/lr']['log_history'],
                       again['message_hub']['log_scalars']['train/lr']['log_history'])

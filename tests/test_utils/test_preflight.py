"""mmris.utils.preflight: what a config needs on disk, one line per missing
piece; and tools/train.py / test.py --preflight-only."""
import pytest
from mmengine.config import Config

from mmris.utils import UsageError, UserError
from mmris.utils.preflight import MissingInputsError, preflight


def refcoco_dataset(root, **fields):
    return dict(type='RefCOCODataset', data_root=str(root), ann_file='refcoco/instances.json',
                split_file='refcoco/refs(unc).p', data_prefix=dict(img_path='train2014/'),
                **fields)


def config(train, val=None, test=None, **model):
    return Config(dict(
        train_dataloader=dict(dataset=train), val_dataloader=dict(dataset=val or train),
        test_dataloader=dict(dataset=test or val or train), val_cfg=dict(type='ValLoop'),
        model=dict(type='ETRIS', backbone=dict(type='BridgedDualEncoder', **model))))


def problems(cfg, mode='train'):
    with pytest.raises(MissingInputsError) as error:
        preflight(cfg, mode)
    return error.value.lines()


def test_a_complete_layout_passes(refcoco_root, tmp_path):
    weights = tmp_path / 'ViT-B-16.pt'
    weights.write_bytes(b'')
    preflight(config(refcoco_dataset(refcoco_root), clip_weights=str(weights)), 'train')
    preflight(config(refcoco_dataset(refcoco_root), clip_weights=None), 'test')


def test_a_missing_data_root_is_one_line_however_many_loaders_read_it(tmp_path):
    root = tmp_path / 'coco'
    lines = problems(config(refcoco_dataset(root)))
    assert lines == [f"train_dataloader.dataset.data_root '{root}' does not exist; get the data "
                     f'(docs/dataset_preparation.md) or set train_dataloader.dataset.data_root']


def test_each_missing_file_and_folder_is_named(refcoco_root, tmp_path):
    root = tmp_path / 'partial'
    (root / 'refcoco').mkdir(parents=True)
    (root / 'refcoco' / 'instances.json').write_text('{}')
    lines = problems(config(refcoco_dataset(root)))
    assert [line.split(' ', 2)[:2] for line in lines] == [
        ['train_dataloader.dataset.split_file', repr(str(root / 'refcoco/refs(unc).p'))],
        ['train_dataloader.dataset.data_prefix.img_path', repr(f'{root}/train2014/')]]


def test_wrapped_datasets_and_the_mode_pick_the_loaders(refcoco_root, tmp_path):
    gone = tmp_path / 'gone'
    train = dict(type='ConcatDataset', datasets=[
        refcoco_dataset(refcoco_root),
        dict(type='RepeatDataset', times=2, dataset=refcoco_dataset(gone))])
    cfg = config(train, val=refcoco_dataset(refcoco_root), test=refcoco_dataset(tmp_path / 't'))
    (line,) = problems(cfg, 'train')
    assert line.startswith('train_dataloader.dataset.datasets.1.dataset.data_root')
    (line,) = problems(cfg, 'test')  # only the test set, and no weights
    assert line.startswith(f"test_dataloader.dataset.data_root '{tmp_path / 't'}'")
    cfg.val_cfg = None  # no validation: the val set is not read
    cfg.val_dataloader.dataset = refcoco_dataset(tmp_path / 'v')
    (line,) = problems(cfg, 'train')
    assert line.startswith('train_dataloader.dataset.datasets.1')


def test_model_weights_files_and_directories(refcoco_root, tmp_path):
    cfg = config(refcoco_dataset(refcoco_root), clip_weights='pretrain/RN50.pt',
                 vision_encoder=dict(type='HFVisionEncoder', pretrained=str(tmp_path / 'hf')),
                 text_encoder=dict(type='X', init_cfg=dict(type='Pretrained',
                                                           checkpoint='pretrain/bert.pth')),
                 bridger=dict(type='Y', pretrained='https://example.com/remote.pth'))
    lines = problems(cfg)
    assert [line.split(' ', 1)[0] for line in lines] == [
        'model.backbone.clip_weights', 'model.backbone.vision_encoder.pretrained',
        'model.backbone.text_encoder.init_cfg.checkpoint']
    assert lines[0] == ("model.backbone.clip_weights 'pretrain/RN50.pt' does not exist; download "
                        'them (docs/installation.md) into that path, or set '
                        'model.backbone.clip_weights (--cfg-options '
                        'model.backbone.clip_weights=PATH)')
    preflight(cfg, 'test')  # a test run does not read them before the checkpoint


def test_the_error_is_a_user_error_with_a_line_per_problem(tmp_path):
    error = MissingInputsError([('a.b', 'x', 'do this'), ('c', 'y', 'do that')])
    assert isinstance(error, UsageError) and isinstance(error, FileNotFoundError)
    assert error.lines() == ["a.b 'x' does not exist; do this", "c 'y' does not exist; do that"]
    assert UserError('one line').lines() == ['one line']


def test_tools_stop_before_building_anything(etris_config, trained_etris, run_tool, tmp_path):
    result = run_tool('train.py', etris_config, '--work-dir', tmp_path / 'w', '--preflight-only')
    assert result.returncode == 0 and result.stdout.strip() == '', result.stdout[-3000:]
    result = run_tool('train.py', etris_config, '--work-dir', tmp_path / 'w',
                      '--cfg-options', 'model.backbone.clip_weights=pretrain/none.pt',
                      f'val_dataloader.dataset.data_root={tmp_path / "none"}')
    assert result.returncode == 2
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert [line.split(' ', 2)[1] for line in lines] == [
        'val_dataloader.dataset.data_root', 'model.backbone.clip_weights']
    checkpoint = trained_etris / 'epoch_1.pth'
    result = run_tool('test.py', etris_config, checkpoint, '--work-dir', tmp_path / 'w',
                      '--preflight-only', '--cfg-options',
                      f'test_dataloader.dataset.data_root={tmp_path / "none"}')
    assert result.returncode == 2
    assert result.stdout.strip() == (
        f"error: test_dataloader.dataset.data_root '{tmp_path / 'none'}' does not exist; get "
        f'the data (docs/dataset_preparation.md) or set test_dataloader.dataset.data_root')

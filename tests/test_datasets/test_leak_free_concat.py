"""LeakFreeConcatDataset: the leakage drop on two generated sets that share
images, and one iteration of mixed training from the demo config."""
import json
import pickle
from pathlib import Path

import pytest
from mmengine.config import Config

from mmris.datasets import EvalSetsDataset, LeakFreeConcatDataset
from mmris.engine import Runner
from mmris.synthetic import generate_synthetic_grefcoco

EVAL_SPLITS = ('val', 'testA', 'testB')
CONFIGS = Path(__file__).parents[2] / 'configs'


@pytest.fixture(scope='module')
def two_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp('mixed')
    generate_synthetic_grefcoco(str(root), num_images=30, size=48, seed=5)
    return root


def configs(root, split, mode):
    return [dict(type='RefCOCODataset', data_root=str(root), ann_file='refcoco/instances.json',
                 split_file='refcoco/refs(unc).p', split=split, mode=mode, pipeline=[]),
            dict(type='GRefCOCODataset', data_root=str(root), split=split, mode=mode,
                 pipeline=[])]


def images_by_split(root):
    """{set: {split: image ids}} read straight from the files."""
    with open(root / 'refcoco' / 'refs(unc).p', 'rb') as file:
        plain = pickle.load(file)
    grefs = json.loads((root / 'grefcoco' / 'grefs(unc).json').read_text())
    result = {}
    for name, refs in (('refcoco', plain), ('grefcoco', grefs)):
        result[name] = {}
        for ref in refs:
            result[name].setdefault(ref['split'], set()).add(ref['image_id'])
    return result


def image_id(info):
    return int(info['img_path'].rsplit('_', 1)[1].split('.')[0])


def held_out(root):
    return [cfg for split in EVAL_SPLITS for cfg in configs(root, split, 'test')]


def test_drops_every_training_image_of_any_evaluation_split(two_sets):
    by_split = images_by_split(two_sets)
    evaluated = set().union(*(by_split[s][split] for s in by_split for split in EVAL_SPLITS))
    dataset = LeakFreeConcatDataset(configs(two_sets, 'train', 'train'),
                                    held_out=held_out(two_sets))
    kept = {image_id(dataset.get_data_info(i)) for i in range(len(dataset))}
    trained = by_split['refcoco']['train'] | by_split['grefcoco']['train']
    assert kept == trained - evaluated
    assert trained & evaluated, 'the generated sets must share images across splits'
    refcoco_row, grefcoco_row = dataset.drop_table
    assert refcoco_row['images'] == len(by_split['refcoco']['train'])
    assert refcoco_row['images_after'] == len(by_split['refcoco']['train'] - evaluated)
    assert grefcoco_row['images_after'] < grefcoco_row['images']
    assert refcoco_row['set'] == 'refcoco(unc)/train'


def test_switch_off_keeps_everything_and_reads_expression_draws(two_sets):
    dataset = LeakFreeConcatDataset(configs(two_sets, 'train', 'train'),
                                    held_out=held_out(two_sets), drop_leaked=False)
    by_split = images_by_split(two_sets)
    assert {image_id(dataset.get_data_info(i)) for i in range(len(dataset))} == \
        by_split['refcoco']['train'] | by_split['grefcoco']['train']
    last = len(dataset) - 1
    sentences = dataset.get_data_info(last)['sentences']
    assert dataset[(last, 1)]['text'] == sentences[1 % len(sentences)]


def test_eval_sets_tag_their_samples(two_sets):
    pack = [dict(type='LoadImageFromFile'), dict(type='LoadRISAnnotations'),
            dict(type='RISLetterbox', size=32, warp_mask=False), dict(type='PackRISInputs')]
    cfgs = [dict(cfg, pipeline=pack) for cfg in configs(two_sets, 'val', 'test')]
    dataset = EvalSetsDataset(cfgs)
    assert dataset.names == ['refcoco(unc)/val', 'grefcoco(unc)/val']
    assert dataset[0]['data_samples'].eval_set == 'refcoco(unc)/val'
    assert dataset[len(dataset) - 1]['data_samples'].eval_set == 'grefcoco(unc)/val'


def test_mixed_training_runs_one_iteration(two_sets, tmp_path):
    cfg = Config.fromfile('configs/demo/etris_tiny_synthetic_mixed.py')
    for dataset in (cfg.train_dataloader.dataset.datasets + cfg.train_dataloader.dataset.held_out
                    + cfg.val_dataloader.dataset.datasets + cfg.test_dataloader.dataset.datasets):
        dataset.data_root = str(two_sets)
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.pop('persistent_workers', None)
    cfg.train_cfg.update(max_iters=1, val_interval=10)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    assert any(key.endswith('loss_no_target') for key in runner.message_hub.log_scalars)


def custom_split(folder, name):
    """A one-image RISCustomDataset split written to ``folder/name.json``."""
    data_list = [dict(img_path='a.jpg', mask=[[1, 1, 5, 1, 5, 5]], expressions=['a shape'])]
    (folder / f'{name}.json').write_text(json.dumps(dict(metainfo={}, data_list=data_list)))
    return dict(type='RISCustomDataset', data_root=str(folder), ann_file=f'{name}.json',
                mode='test', pipeline=[])


def test_eval_sets_name_custom_splits_by_file_and_refuse_shared_names(tmp_path):
    dataset = EvalSetsDataset([custom_split(tmp_path, 'refcoco_val'),
                               custom_split(tmp_path, 'refcoco_testA')])
    assert dataset.names == ['RISCustomDataset/refcoco_val', 'RISCustomDataset/refcoco_testA']
    (tmp_path / 'copy').mkdir()
    twins = [custom_split(tmp_path, 'val'), custom_split(tmp_path / 'copy', 'val')]
    with pytest.raises(ValueError, match=r"share the names \['RISCustomDataset/val'\].*names="):
        EvalSetsDataset(twins)
    assert EvalSetsDataset(twins, names=['a/val', 'b/val']).names == ['a/val', 'b/val']


@pytest.mark.parametrize('base, sets', [
    ('mixed_refcoco', ('refcoco', 'refcoco+', 'refcocog')),
    ('mixed_refcoco_grefcoco', ('refcoco', 'refcoco+', 'refcocog', 'grefcoco'))])
def test_mixed_configs_hold_out_every_split_they_validate_and_test_on(base, sets, tmp_path):
    """A user's config on the mixed bases: it trains on each set's train split,
    validates on each val split, tests on every val/test split, and holds out
    the images of all of those (gRefCOCO only where it is mixed in)."""
    config = tmp_path / 'mixed.py'
    config.write_text(f"_base_ = ['{CONFIGS}/_base_/models/etris_vitb16.py', "
                      f"'{CONFIGS}/_base_/datasets/{base}.py']\n")
    cfg = Config.fromfile(str(config))

    def splits(datasets):
        return [(d.get('split_file', 'grefcoco').split('/')[0], d['split']) for d in datasets]

    train = cfg.train_dataloader.dataset
    tested = splits(cfg.test_dataloader.dataset.datasets)
    assert splits(train.datasets) == [(name, 'train') for name in sets]
    assert splits(cfg.val_dataloader.dataset.datasets) == [(name, 'val') for name in sets]
    expected = {'refcoco': ('val', 'testA', 'testB'), 'refcoco+': ('val', 'testA', 'testB'),
                'refcocog': ('val', 'test'), 'grefcoco': ('val', 'testA', 'testB')}
    assert tested == [(name, split) for name in sets for split in expected[name]]
    assert splits(train.held_out) == tested
    assert train.drop_leaked and cfg.val_dataloader.dataset.type == 'mmris.EvalSetsDataset'


def test_a_refcoco_sample_is_never_labelled_no_target(two_sets):
    """Mixed with gRefCOCO, a RefCOCO sample carries no_target=False, so a
    no-target head does not learn "nothing" from an object that resizing
    erased (its label would otherwise come from the empty mask)."""
    from mmris.models.decode_heads.no_target_head import no_target_labels
    pack = [dict(type='LoadImageFromFile'), dict(type='LoadRISAnnotations'),
            dict(type='RISLetterbox', size=32),
            dict(type='PackRISInputs', meta_keys=('img_path', 'ori_shape', 'img_shape', 'text',
                                                  'inverse_affine_matrix', 'no_target'))]
    refcoco, grefcoco = [dict(cfg, pipeline=pack) for cfg in configs(two_sets, 'val', 'test')]
    sample = EvalSetsDataset([refcoco])[0]['data_samples']
    sample.gt_sem_seg.data.zero_()  # the object lost to resizing
    assert no_target_labels([sample]).tolist() == [0.0]
    gref = EvalSetsDataset([grefcoco])
    flags = [gref.get_data_info(i)['no_target'] for i in range(len(gref))]
    labels = no_target_labels([gref[i]['data_samples'] for i in range(len(gref))]).tolist()
    assert labels == [float(flag) for flag in flags] and 0 < sum(labels) < len(labels)

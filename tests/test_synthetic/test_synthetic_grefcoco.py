"""The generated gRefCOCO variant: official format, true expressions, shared images."""
import json
import pickle

import numpy as np
import pytest

from mmris.datasets import GRefCOCODataset
from mmris.synthetic import generate_synthetic_grefcoco
from mmris.synthetic.grefcoco import no_target_expressions
from mmris.synthetic.shape_scenes import COLOURS, SHAPES


@pytest.fixture(scope='module')
def grefcoco_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic_grefcoco')
    summary = generate_synthetic_grefcoco(str(root), num_images=30, size=64, seed=1)
    return root, summary


def load(root):
    refs = json.loads((root / 'grefcoco' / 'grefs(unc).json').read_text())
    instances = json.loads((root / 'grefcoco' / 'instances.json').read_text())
    return refs, instances


def words_of(text):
    return set(text.replace('circles', 'circle').replace('squares', 'square')
               .replace('triangles', 'triangle').split())


def test_refs_have_the_official_field_shapes(grefcoco_root):
    root, summary = grefcoco_root
    refs, instances = load(root)
    assert isinstance(refs, list) and refs
    ann_ids = {ann['id'] for ann in instances['annotations']}
    for ref in refs:
        assert {'ref_id', 'image_id', 'split', 'ann_id', 'category_id', 'sentences',
                'sent_ids', 'file_name'} <= set(ref)
        assert isinstance(ref['ann_id'], list) and isinstance(ref['category_id'], list)
        assert ref['ann_id'] == [-1] or set(ref['ann_id']) <= ann_ids
        assert all({'tokens', 'raw', 'sent_id', 'sent'} <= set(s) for s in ref['sentences'])
    kinds = [len(ref['ann_id']) if ref['ann_id'] != [-1] else 0 for ref in refs]
    assert kinds.count(0) == sum(s['no-target'] for s in summary['grefcoco'].values()) > 0
    assert sum(k > 1 for k in kinds) == sum(s['multi-target'] for s in summary['grefcoco'].values())
    assert sum(k > 1 for k in kinds) > 0 and kinds.count(1) > 0


def test_expressions_are_true_of_the_picture(grefcoco_root):
    root, _ = grefcoco_root
    refs, instances = load(root)
    by_image = {}
    for ann in instances['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    for ref in refs:
        present = {SHAPES[ann['category_id'] - 1] for ann in by_image[ref['image_id']]}
        for sentence in ref['sentences']:
            words = words_of(sentence['sent'])
            named = words & set(SHAPES)
            if ref['ann_id'] == [-1]:
                # A shape named without a colour must be absent (colours are
                # not in the COCO file, so colour phrases are not checked).
                if named and not words & set(COLOURS):
                    assert not named & present, sentence['sent']
            elif len(ref['ann_id']) > 1 and named:
                targets = [a for a in by_image[ref['image_id']] if a['id'] in ref['ann_id']]
                assert {SHAPES[a['category_id'] - 1] for a in targets} == named


def colour_and_shape(expression):
    words = words_of(expression)
    colours, shapes = words & set(COLOURS), words & set(SHAPES)
    return (colours.pop() if colours else None), (shapes.pop() if shapes else None)


@pytest.mark.parametrize('seed', range(5))
def test_no_target_expressions_are_deceptive_like_grefcoco(seed):
    """gRefCOCO's no-target expressions are about the picture: the colour and
    the shape each occur, never together, whenever the picture allows it."""
    rng = np.random.default_rng(seed)
    red_circle_blue_square = [dict(colour='red', shape='circle'),
                              dict(colour='blue', shape='square')]
    named = [colour_and_shape(e) for e in no_target_expressions(rng, red_circle_blue_square)]
    # The only pairs whose colour and shape are both there, but not together.
    assert sorted(named) == [('blue', 'circle'), ('red', 'square')]
    # One red circle: a circle of another colour comes first.
    named = [colour_and_shape(e) for e in no_target_expressions(rng, [dict(colour='red',
                                                                            shape='circle')])]
    assert len(named) == 2
    assert all(shape == 'circle' and colour not in (None, 'red') for colour, shape in named)


def test_no_target_expressions_are_empty_when_every_pair_is_there():
    objects = [dict(colour=c, shape=s) for c in COLOURS for s in SHAPES]
    assert no_target_expressions(np.random.default_rng(0), objects) == []


def test_shares_images_with_the_referring_set_in_another_split(grefcoco_root):
    root, _ = grefcoco_root
    refs, _ = load(root)
    with open(root / 'refcoco' / 'refs(unc).p', 'rb') as file:
        plain = pickle.load(file)
    split_of = {ref['image_id']: ref['split'] for ref in plain}
    moved = {ref['image_id'] for ref in refs
             if ref['image_id'] in split_of and split_of[ref['image_id']] != ref['split']}
    assert moved
    dataset = GRefCOCODataset(data_root=str(root), split='val', mode='test', pipeline=[])
    assert len(dataset) > 0


def test_the_layout_check_reads_the_grefcoco_files(grefcoco_root, tmp_path):
    from mmris.datasets.refcoco_layout import check_layout
    root, summary = grefcoco_root
    report = check_layout(str(root), ['grefcoco'], check_images=True)
    assert report.ok, report.problems
    (dataset,) = report.datasets
    assert dataset.split_file == 'grefcoco/grefs(unc).json'
    assert dataset.splits == {split: (counts['refs'], counts['sentences'])
                              for split, counts in summary['grefcoco'].items()}
    refs, instances = load(root)
    gone = next(ref['ann_id'][1] for ref in refs if len(ref['ann_id']) > 1)
    instances['annotations'] = [a for a in instances['annotations'] if a['id'] != gone]
    (tmp_path / 'grefcoco').mkdir()
    (tmp_path / 'grefcoco' / 'instances.json').write_text(json.dumps(instances))
    (tmp_path / 'grefcoco' / 'grefs(unc).json').write_text(json.dumps(refs))
    damaged = check_layout(str(tmp_path), ['grefcoco'])
    assert damaged.datasets[0].missing_ann_ids == [gone]


def test_the_layout_check_flags_the_refs_the_dataset_refuses(grefcoco_root, tmp_path):
    """A no-target ref that also lists targets, and a ref with no ids at
    all: GRefCOCODataset refuses both, so the layout check names them."""
    from mmris.datasets.refcoco_layout import check_layout
    root, _ = grefcoco_root
    refs, instances = load(root)
    mixed = next(ref for ref in refs if ref['ann_id'] != [-1])
    mixed['ann_id'] = [-1] + mixed['ann_id']
    empty = next(ref for ref in refs if ref['ann_id'] == [-1])
    empty['ann_id'] = []
    (tmp_path / 'grefcoco').mkdir()
    (tmp_path / 'grefcoco' / 'instances.json').write_text(json.dumps(instances))
    (tmp_path / 'grefcoco' / 'grefs(unc).json').write_text(json.dumps(refs))
    report = check_layout(str(tmp_path), ['grefcoco'])
    assert not report.ok
    (problem,) = [p for p in report.problems if 'ann_id' in p]
    assert problem.startswith('grefcoco: 2 ref(s) of grefcoco/grefs(unc).json')
    named = ', '.join(str(r['ref_id']) for r in refs if r is mixed or r is empty)
    assert f'(e.g. ref ids {named})' in problem

"""GRefCOCODataset on the official gRefCOCO field shapes, and its bad inputs."""
import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmris.datasets import GRefCOCODataset
from mmris.datasets.transforms import LoadRISAnnotations
from mmris.utils.errors import DatasetError

SQUARE = [[2.0, 2.0, 10.0, 2.0, 10.0, 10.0, 2.0, 10.0]]
TRIANGLE = [[20.0, 4.0, 28.0, 14.0, 12.0, 14.0]]


def sentence(sent_id, text):
    return dict(tokens=text.split(), raw=text.capitalize() + '.', sent_id=sent_id, sent=text)


def write_release(root, refs):
    """A gRefCOCO release of one 20x32 image with two annotations (ids 7, 8)."""
    (root / 'grefcoco').mkdir(parents=True)
    instances = dict(
        images=[dict(id=3, file_name='COCO_train2014_000000000003.jpg', height=20, width=32)],
        annotations=[dict(id=7, image_id=3, category_id=1, segmentation=SQUARE, iscrowd=0,
                          bbox=[2, 2, 8, 8], area=64),
                     dict(id=8, image_id=3, category_id=2, segmentation=TRIANGLE, iscrowd=0,
                          bbox=[12, 4, 16, 10], area=80)],
        categories=[dict(id=1, name='square'), dict(id=2, name='triangle')])
    (root / 'grefcoco' / 'instances.json').write_text(json.dumps(instances))
    (root / 'grefcoco' / 'grefs(unc).json').write_text(json.dumps(refs))


def ref(ref_id, ann_id, texts, split='val'):
    return dict(ref_id=ref_id, image_id=3, split=split, ann_id=ann_id,
                category_id=[1] if ann_id != [-1] else [-1], file_name='x.jpg',
                sent_ids=list(range(len(texts))),
                sentences=[sentence(ref_id * 10 + i, t) for i, t in enumerate(texts)])


def polygon_mask(polygons):
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, 20, 32)))


def build(root, mode='test', split='val'):
    return GRefCOCODataset(data_root=str(root), split=split, mode=mode, pipeline=[])


def test_reads_list_ann_ids_no_target_and_every_sentence(tmp_path):
    write_release(tmp_path, [
        ref(0, [7, 8], ['both shapes', 'the two shapes']),
        ref(1, [-1], ['the red circle', 'a circle', 'all the circles']),
        ref(2, 7, ['the square']),  # a plain int, as the refer toolkit's refs
        ref(3, [8], ['the triangle'], split='train'),
    ])
    dataset = build(tmp_path)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [info['text'] for info in infos] == [
        'both shapes', 'the two shapes', 'the red circle', 'a circle', 'all the circles',
        'the square']
    assert [info['no_target'] for info in infos] == [False, False, True, True, True, False]
    loader = LoadRISAnnotations()
    masks = [loader(dict(info, ori_shape=(20, 32)))['gt_seg_map'] for info in infos]
    union = polygon_mask(SQUARE) | polygon_mask(TRIANGLE)
    assert union.sum() > polygon_mask(SQUARE).sum() > 0
    np.testing.assert_array_equal(masks[0], union)
    assert masks[2].shape == (20, 32) and not masks[2].any()
    np.testing.assert_array_equal(masks[5], polygon_mask(SQUARE))
    assert [len(info['instances']) for info in infos] == [2, 2, 0, 0, 0, 1]
    assert infos[0]['instances'][1]['bbox'] == [12, 4, 28, 14]


def test_train_mode_keeps_one_entry_per_ref_with_all_its_sentences(tmp_path):
    write_release(tmp_path, [ref(0, [-1], ['a', 'b', 'c'], split='train'),
                             ref(1, [7], ['d'], split='train')])
    dataset = build(tmp_path, mode='train', split='train')
    assert len(dataset) == 2
    assert dataset.get_data_info(0)['sentences'] == ['a', 'b', 'c']


def test_a_missing_annotation_is_an_error_naming_the_ref_and_the_file(tmp_path):
    write_release(tmp_path, [ref(5, [7, 99], ['the square and more'])])
    with pytest.raises(DatasetError, match=r"grefs\(unc\).json ref 5: annotation id 99 is not "
                       r"in .*grefcoco/instances.json"):
        build(tmp_path)


def test_a_no_target_ref_that_lists_targets_is_refused(tmp_path):
    write_release(tmp_path, [ref(6, [-1, 7], ['nothing and the square'])])
    with pytest.raises(DatasetError, match=r'ref 6: ann_id \[-1, 7\] lists targets together '
                       r'with -1'):
        build(tmp_path)


def test_a_ref_with_an_empty_ann_id_list_is_refused(tmp_path):
    write_release(tmp_path, [ref(4, [], ['nothing at all'])])
    with pytest.raises(DatasetError, match=r'ref 4: ann_id is an empty list; .* \[-1\]'):
        build(tmp_path)

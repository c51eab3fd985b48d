"""RefCOCODataset on a small refer-format fixture written here."""
import json
import pickle

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmris.datasets import RefCOCODataset

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadRISAnnotations')]
SIZES = {1: (40, 60), 2: (50, 30), 3: (36, 36)}  # image id -> (h, w)


def circle_rle(h, w, compressed=True):
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 2, h // 2), min(h, w) // 4, 1, -1)
    rle = mask_utils.encode(np.asfortranarray(mask))
    if compressed:
        return dict(size=rle['size'], counts=rle['counts'].decode())
    runs, flat, value = [], mask.flatten(order='F'), 0  # uncompressed: run lengths from 0s
    while flat.size:
        length = int(np.argmax(flat != value)) if (flat != value).any() else flat.size
        runs.append(length)
        flat, value = flat[length:], 1 - value
    return dict(size=[h, w], counts=runs)


ANNOTATIONS = {  # ann id -> (image id, segmentation)
    11: (1, [[5, 5, 30, 5, 5, 30]]),  # polygon
    12: (1, circle_rle(40, 60)),  # compressed RLE
    21: (2, [[2, 2, 20, 2, 20, 40, 2, 40], [22, 44, 28, 44, 28, 48]]),  # two polygons
    31: (3, circle_rle(36, 36, compressed=False)),  # uncompressed RLE (crowd style)
    32: (3, [[1, 1, 10, 1, 10, 10]]),
}
REFS = [  # ref id, ann id, split, sentences
    (1, 11, 'train', ['the triangle', 'top left shape', 'pointy thing']),
    (2, 12, 'train', ['the circle', 'round one']),
    (3, 21, 'val', ['the tall box', 'left rectangle']),
    (4, 31, 'testA', ['middle circle']),
    (5, 32, 'testB', ['small triangle', 'corner one']),
]


def write_refer(root, refs=REFS, annotations=ANNOTATIONS, images=SIZES):
    (root / 'train2014').mkdir(parents=True, exist_ok=True)
    (root / 'refcoco').mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for image_id, (h, w) in images.items():
        cv2.imwrite(str(root / 'train2014' / f'COCO_train2014_{image_id:012d}.jpg'),
                    rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    instances = dict(
        images=[dict(id=i, file_name=f'COCO_train2014_{i:012d}.jpg', height=h, width=w)
                for i, (h, w) in SIZES.items()],
        annotations=[dict(id=a, image_id=i, segmentation=s, category_id=1,
                          iscrowd=int(isinstance(s, dict) and isinstance(s['counts'], list)))
                     for a, (i, s) in annotations.items()],
        categories=[dict(id=1, name='thing')])
    (root / 'refcoco' / 'instances.json').write_text(json.dumps(instances))
    ref_list = [dict(ref_id=r, ann_id=a, image_id=ANNOTATIONS.get(a, (1, None))[0], split=split,
                     category_id=1, sentences=[dict(sent=s, raw=s, tokens=s.split(), sent_id=10 * r + k)
                                               for k, s in enumerate(sents)])
                for r, a, split, sents in refs]
    with open(root / 'refcoco' / 'refs(unc).p', 'wb') as f:
        pickle.dump(ref_list, f)
    return root


@pytest.fixture(scope='module')
def refer_root(tmp_path_factory):
    return write_refer(tmp_path_factory.mktemp('coco'))


def dataset(root, split, mode, **kwargs):
    return RefCOCODataset(data_root=str(root), ann_file='refcoco/instances.json',
                          split_file='refcoco/refs(unc).p', split=split, mode=mode,
                          pipeline=PIPELINE, **kwargs)


@pytest.mark.parametrize('split,counts', [
    ('train', dict(train=2, test=5, val_first=2)),
    ('val', dict(train=1, test=2, val_first=1)),
    ('testA', dict(train=1, test=1, val_first=1)),
    ('testB', dict(train=1, test=2, val_first=1)),
    ('test', dict(train=2, test=3, val_first=2)),
])
def test_entries_per_mode_and_split(refer_root, split, counts):
    for mode, expected in counts.items():
        assert len(dataset(refer_root, split, mode)) == expected, mode


def test_sentences_as_written_and_modes(refer_root):
    test = dataset(refer_root, 'train', 'test')
    assert [test[i]['text'] for i in range(len(test))] == [
        'the triangle', 'top left shape', 'pointy thing', 'the circle', 'round one']
    first = dataset(refer_root, 'train', 'val_first')
    assert [first[i]['text'] for i in range(2)] == ['the triangle', 'the circle']
    train = dataset(refer_root, 'train', 'train')
    seen = {train[0]['text'] for _ in range(40)}
    assert seen == {'the triangle', 'top left shape', 'pointy thing'}


def test_masks_equal_pycocotools_decoding(refer_root):
    for split in ('train', 'val', 'testA', 'testB'):
        data = dataset(refer_root, split, 'val_first')
        for index in range(len(data)):
            sample = data[index]
            image_id, segmentation = ANNOTATIONS[sample['ann_id']]
            h, w = SIZES[image_id]
            if isinstance(segmentation, list):
                rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, h, w))
            elif isinstance(segmentation['counts'], list):
                rle = mask_utils.frPyObjects(segmentation, h, w)
            else:
                rle = dict(segmentation, counts=segmentation['counts'].encode())
            expected = mask_utils.decode(rle)
            assert sample['gt_seg_map'].shape == (h, w) == sample['img'].shape[:2]
            assert expected.sum() > 0
            np.testing.assert_array_equal(sample['gt_seg_map'], expected)


def test_missing_annotation_id_names_the_ref(tmp_path):
    root = write_refer(tmp_path, refs=REFS + [(9, 999, 'val', ['ghost'])])
    with pytest.raises(ValueError,
                       match=r'refs\(unc\).p ref 9: annotation id 999 is not in .*instances.json'):
        dataset(root, 'val', 'test')


def test_empty_expression(tmp_path, mmengine_log):
    root = write_refer(tmp_path, refs=[(1, 11, 'train', ['the triangle', '  ']),
                                       (3, 21, 'val', ['box', ''])])
    with pytest.raises(ValueError, match=r'ref 3: expression 1 is .*must contain text'):
        dataset(root, 'val', 'test')
    train = dataset(root, 'train', 'train')
    assert train.get_data_info(0)['sentences'] == ['the triangle']
    assert [(r.levelno, r.getMessage()) for r in mmengine_log] == \
        [(30, 'RefCOCODataset: left out 1 empty expressions')]


def test_missing_and_corrupt_images(tmp_path):
    root = write_refer(tmp_path)
    (root / 'train2014' / 'COCO_train2014_000000000001.jpg').unlink()
    (root / 'train2014' / 'COCO_train2014_000000000002.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(RuntimeError, match=r'ref 1 .*COCO_train2014_000000000001.jpg.*the triangle'):
        dataset(root, 'train', 'test')[0]
    with pytest.raises(RuntimeError, match=r'ref 3 .*COCO_train2014_000000000002.jpg'):
        dataset(root, 'val', 'test')[0]
    train = dataset(root, 'train', 'train')
    assert train.prepare_data(0) is None and train.num_skipped == 1


def test_training_skips_only_load_failures_up_to_a_limit(tmp_path):
    from mmris.utils.errors import SampleLoadError
    root = write_refer(tmp_path)
    (root / 'train2014' / 'COCO_train2014_000000000001.jpg').write_bytes(b'')  # zero bytes
    train = dataset(root, 'train', 'train', max_load_failures=2)
    assert train.prepare_data(0) is None and train.prepare_data(0) is None
    with pytest.raises(SampleLoadError, match=r'3 samples could not be loaded in this process, '
                       r'more than max_load_failures=2; the last: .*ref 1 .*000000000001.jpg'):
        train.prepare_data(0)


def test_a_pipeline_bug_raises_at_once_naming_the_sample(tmp_path):
    class BrokenTransform:

        def __call__(self, results):
            return results['no_such_key']

    root = write_refer(tmp_path)
    train = RefCOCODataset(data_root=str(root), ann_file='refcoco/instances.json',
                           split_file='refcoco/refs(unc).p', split='train', mode='train',
                           pipeline=[dict(type='LoadImageFromFile'), BrokenTransform()])
    with pytest.raises(RuntimeError, match=r"ref 1 .*000000000001.jpg.*BrokenTransform failed: "
                                           r"'no_such_key'") as error:
        train.prepare_data(0)
    assert isinstance(error.value.__cause__, KeyError)
    assert train.num_skipped == 0


def test_missing_files_point_to_the_checker(tmp_path):
    with pytest.raises(FileNotFoundError, match='check_refcoco_layout'):
        dataset(tmp_path, 'val', 'test')


def test_refs_pickle_cannot_run_code(tmp_path):
    root = write_refer(tmp_path)

    class Evil:
        def __reduce__(self):
            return (print, ('pwned', ))

    with open(root / 'refcoco' / 'refs(unc).p', 'wb') as f:
        pickle.dump([Evil()], f)
    with pytest.raises(ValueError, match=r'refs\(unc\).p may not name builtins.print'):
        dataset(root, 'val', 'test')

"""RISCustomDataset: PNG, RLE and polygon masks from the documented JSON."""
import json

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmris.datasets import RISCustomDataset

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadRISAnnotations')]


@pytest.fixture
def custom_root(tmp_path):
    (tmp_path / 'images').mkdir()
    (tmp_path / 'masks').mkdir()
    for name in ('a', 'b', 'c'):
        cv2.imwrite(str(tmp_path / 'images' / f'{name}.jpg'), np.zeros((20, 30, 3), np.uint8))
    png = np.zeros((20, 30), np.uint8)
    png[2:8, 3:9] = 255
    cv2.imwrite(str(tmp_path / 'masks' / 'a.png'), png)
    rle = mask_utils.encode(np.asfortranarray((png > 0).astype(np.uint8)))
    data_list = [
        dict(img_path='a.jpg', mask='a.png', expressions=['the square', 'top left']),
        dict(img_path='b.jpg', mask=dict(size=rle['size'], counts=rle['counts'].decode()),
             expressions=['same square']),
        dict(img_path='c.jpg', mask=[[3, 2, 9, 2, 9, 8, 3, 8]], expressions=['a polygon']),
    ]
    (tmp_path / 'ann.json').write_text(json.dumps(dict(metainfo={}, data_list=data_list)))
    return tmp_path, png > 0


def build(root, mode, ann='ann.json'):
    return RISCustomDataset(data_root=str(root), ann_file=ann, mode=mode, pipeline=PIPELINE,
                            data_prefix=dict(img_path='images', mask_path='masks'))


def test_modes_and_masks(custom_root):
    root, expected = custom_root
    assert len(build(root, 'train')) == 3 and len(build(root, 'val_first')) == 3
    test = build(root, 'test')
    assert [test[i]['text'] for i in range(4)] == ['the square', 'top left', 'same square', 'a polygon']
    np.testing.assert_array_equal(test[0]['gt_seg_map'], expected)
    np.testing.assert_array_equal(test[2]['gt_seg_map'], expected)
    # The polygon (3, 2)-(9, 8) covers the pixels whose centres lie inside it,
    # columns 3-8 and rows 2-7: the PNG's square, pixel for pixel.
    np.testing.assert_array_equal(test[3]['gt_seg_map'], expected)


def test_bad_entries_are_named(custom_root):
    root, _ = custom_root
    (root / 'bad.json').write_text(json.dumps(dict(data_list=[dict(img_path='a.jpg', mask='a.png')])))
    with pytest.raises(ValueError, match=r"bad.json data_list\[0\] lacks \['expressions'\]"):
        build(root, 'test', 'bad.json')
    (root / 'list.json').write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match='not an mmris RIS JSON file'):
        build(root, 'test', 'list.json')
    (root / 'masks' / 'a.png').unlink()
    with pytest.raises(RuntimeError, match=r"data_list\[0\] .*a.jpg"):
        build(root, 'test')[0]


def test_an_unknown_mode_is_one_line_naming_the_choices(custom_root):
    from mmris.utils import DatasetError
    root, _ = custom_root
    with pytest.raises(DatasetError, match=r"RISCustomDataset: mode 'tset' is not one of train, "
                       r"test, val_first"):
        build(root, 'tset')

"""ClassFolderDataset: ImageNet-style folders, k-shot subsets and the
errors for folders that do not fit the class list."""
import os

import cv2
import numpy as np
import pytest

from projects.etris_cls.etris_cls import ClassFolderDataset


def write_folder(root, counts: dict) -> None:
    """``root/<class>/<i>.png`` for each class and count (0: an empty folder)."""
    for name, count in counts.items():
        os.makedirs(root / name, exist_ok=True)
        for index in range(count):
            cv2.imwrite(str(root / name / f'{index}.png'), np.zeros((4, 4, 3), np.uint8))


def build(root, **kwargs) -> ClassFolderDataset:
    return ClassFolderDataset(data_root=str(root), data_prefix=dict(img_path='train'), **kwargs)


def test_labels_follow_the_class_list_and_shots_take_the_first_k(tmp_path):
    write_folder(tmp_path / 'train', {'dog': 3, 'cat': 2})
    (tmp_path / 'train' / 'dog' / 'notes.txt').write_text('not an image')
    os.makedirs(tmp_path / 'train' / 'dog' / 'nested')
    cv2.imwrite(str(tmp_path / 'train' / 'dog' / 'nested' / 'a.JPG'), np.zeros((4, 4, 3), np.uint8))

    dataset = build(tmp_path, metainfo=dict(classes=['dog', 'cat']))
    samples = [(os.path.relpath(s['img_path'], tmp_path / 'train'), s['gt_label'])
               for s in dataset]
    assert samples == [('dog/0.png', 0), ('dog/1.png', 0), ('dog/2.png', 0),
                       ('dog/nested/a.JPG', 0), ('cat/0.png', 1), ('cat/1.png', 1)]
    assert dataset.metainfo['classes'] == ('dog', 'cat')

    two_shot = build(tmp_path, metainfo=dict(classes=['dog', 'cat']), shots=2)
    assert [os.path.basename(s['img_path']) for s in two_shot] == ['0.png', '1.png'] * 2


def test_without_a_class_list_the_sorted_folders_are_the_classes(tmp_path):
    write_folder(tmp_path / 'train', {'zebra': 1, 'ant': 1})
    dataset = build(tmp_path)
    assert dataset.metainfo['classes'] == ('ant', 'zebra')
    assert [s['gt_label'] for s in dataset] == [0, 1]


def test_an_empty_class_folder_is_named(tmp_path):
    write_folder(tmp_path / 'train', {'dog': 2, 'cat': 0})
    with pytest.raises(ValueError, match=r"class folder '.*train/cat' holds 0 images"):
        build(tmp_path, metainfo=dict(classes=['dog', 'cat']))


def test_a_class_list_that_does_not_match_the_folders_names_both(tmp_path):
    write_folder(tmp_path / 'train', {'dog': 1, 'cat': 1, 'bird': 1})
    with pytest.raises(ValueError) as error:
        build(tmp_path, metainfo=dict(classes=['dog', 'cats']))
    message = str(error.value)
    assert "classes without a folder: ['cats']" in message
    assert "folders not in the class list: ['bird', 'cat']" in message
    assert str(tmp_path / 'train') in message


@pytest.mark.parametrize('layout, kwargs, message', [
    ({}, {}, 'has no class subfolders'),
    ({'dog': 1}, dict(shots=2), r"holds 1 images .* 2 are needed \(shots=2\)"),
    ({'dog': 1}, dict(shots=0), 'shots=0'),
    ({'dog': 1}, dict(metainfo=dict(classes=['dog', 'dog'])), 'names a class twice'),
])
def test_other_bad_input(tmp_path, layout, kwargs, message):
    os.makedirs(tmp_path / 'train')
    write_folder(tmp_path / 'train', layout)
    with pytest.raises(ValueError, match=message):
        build(tmp_path, **kwargs)


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"image folder '.*nowhere/train' does not exist"):
        build(tmp_path / 'nowhere')

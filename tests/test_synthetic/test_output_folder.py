"""The synthetic-set generators rewrite their own output folder, and refuse
one that holds someone else's files of the same names."""
import os
import re

import pytest

from mmris.synthetic import (
    generate_synthetic_coco,
    generate_synthetic_grefcoco,
    generate_synthetic_refcoco,
    generate_synthetic_shapes,
)
from mmris.synthetic.output_folder import MARKER
from mmris.utils.errors import OutputExistsError

REAL = b'real data, not to be lost'


def files_under(root):
    """{relative path: bytes} of every file under ``root``."""
    return {os.path.relpath(os.path.join(folder, name), root):
            open(os.path.join(folder, name), 'rb').read()
            for folder, _, names in os.walk(root) for name in names}


def real_root(tmp_path, *names):
    """A folder holding ``names`` (relative paths) of real data."""
    root = tmp_path / 'real'
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(REAL)
    return root


# (generator, its arguments, a file it writes, relative to its output folder)
WRITERS = [
    (generate_synthetic_refcoco, dict(num_images=4, size=48), 'refcoco/instances.json'),
    (generate_synthetic_refcoco, dict(num_images=4, size=48),
     'train2014/COCO_train2014_000000000004.jpg'),
    (generate_synthetic_grefcoco, dict(num_images=4, size=48), 'grefcoco/grefs(unc).json'),
    (generate_synthetic_grefcoco, dict(num_images=4, size=48), 'refcoco/refs(unc).p'),
    (generate_synthetic_coco, dict(num_train=2, num_val=1, size=48),
     'annotations/instances_val.json'),
    (generate_synthetic_coco, dict(num_train=2, num_val=1, size=48), 'val/000000000003.jpg'),
    (generate_synthetic_shapes, dict(num_train=2, num_val=1, size=32), 'ann_dir/val/00000.png'),
]


@pytest.mark.parametrize('generate,kwargs,taken', WRITERS)
def test_a_folder_holding_files_of_the_same_names_is_refused(tmp_path, generate, kwargs,
                                                             taken):
    root = real_root(tmp_path, taken, 'other/kept.txt')
    with pytest.raises(OutputExistsError, match=re.escape(
            f"output folder '{root}' already holds '{taken}' and was not written by a "
            f'synthetic-set generator')):
        generate(str(root), **kwargs)
    # Refused before anything was written: the folder is as it was.
    assert files_under(root) == {taken: REAL, 'other/kept.txt': REAL}

    generate(str(root), **kwargs, overwrite=True)
    written = files_under(root)
    assert written[taken] != REAL and written['other/kept.txt'] == REAL
    assert MARKER in written


@pytest.mark.parametrize('generate,kwargs,_', WRITERS[::2])
def test_the_generators_rewrite_their_own_output(tmp_path, generate, kwargs, _):
    root = tmp_path / 'synthetic'
    generate(str(root), **kwargs, seed=1)
    first = files_under(root)
    generate(str(root), **kwargs, seed=2)  # as make demo does, without overwrite
    second = files_under(root)
    assert set(second) == set(first) and second != first
    generate(str(root), **kwargs, seed=1)
    assert files_under(root) == first


def test_the_referring_set_and_its_grefcoco_variant_share_a_folder(tmp_path):
    """make demo, then make demo-gres, then make demo again: one folder."""
    root = str(tmp_path / 'synthetic_refcoco')
    generate_synthetic_refcoco(root, num_images=4, size=48)
    generate_synthetic_grefcoco(root, num_images=4, size=48)
    generate_synthetic_refcoco(root, num_images=4, size=48)
    assert os.path.isfile(os.path.join(root, 'grefcoco', 'grefs(unc).json'))


def test_a_folder_without_those_files_is_taken_and_marked(tmp_path):
    root = real_root(tmp_path, 'refcoco+/instances.json',
                     'train2014/COCO_train2014_000000000009.jpg')
    generate_synthetic_refcoco(str(root), num_images=4, size=48)
    written = files_under(root)
    assert written['refcoco+/instances.json'] == REAL
    assert written['train2014/COCO_train2014_000000000009.jpg'] == REAL
    assert MARKER in written and 'refcoco/instances.json' in written

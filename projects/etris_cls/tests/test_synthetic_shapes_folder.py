"""The generated shapes set and its script."""
import cv2
import numpy as np
import pytest

from projects.etris_cls.etris_cls import SHAPES, generate_shapes_folder
from projects.etris_cls.etris_cls.synthetic_shapes_folder import shape_mask

SCRIPT = 'projects/etris_cls/tools/make_synthetic_shapes_cls.py'


def test_every_shape_has_its_own_silhouette():
    masks = {shape: shape_mask(shape, 64, (32, 32), 20) for shape in SHAPES}
    areas = {shape: int(mask.sum()) for shape, mask in masks.items()}
    # Areas against the geometry: a filled disc is pi r^2, a square (2r + 1)^2,
    # the ring an annulus from 14 to 20 (a 6-pixel stroke on radius 17).
    assert areas['circle'] == pytest.approx(np.pi * 20 ** 2, rel=0.05)
    assert areas['square'] == 41 ** 2
    assert areas['ring'] == pytest.approx(np.pi * (20 ** 2 - 14 ** 2), rel=0.2)
    assert areas['star'] < areas['pentagon'] < areas['hexagon'] < areas['circle']
    for first in SHAPES:
        for second in SHAPES:
            if first < second:
                assert (masks[first] != masks[second]).sum() > 20, (first, second)


def test_layout_and_determinism(tmp_path):
    classes = generate_shapes_folder(str(tmp_path / 'a'), num_classes=3, train_per_class=2,
                                     val_per_class=1, size=32, seed=1)
    generate_shapes_folder(str(tmp_path / 'b'), num_classes=3, train_per_class=2,
                           val_per_class=1, size=32, seed=1)
    assert classes == SHAPES[:3]
    for split, count in (('train', 2), ('val', 1)):
        for shape in classes:
            files = sorted((tmp_path / 'a' / split / shape).iterdir())
            assert [f.name for f in files] == [f'{i:05d}.png' for i in range(count)]
            for path in files:
                image = cv2.imread(str(path))
                assert image.shape == (32, 32, 3)
                assert np.array_equal(image, cv2.imread(str(tmp_path / 'b' / split / shape /
                                                             path.name)))
                assert (image.max(2) >= 80).any()  # the shape is brighter than the background


def test_bad_options_are_refused(tmp_path):
    with pytest.raises(ValueError, match=f'num_classes=11: choose 1 to 10 '
                       rf'\(the shapes {", ".join(SHAPES)}\)'):
        generate_shapes_folder(str(tmp_path), num_classes=11)
    with pytest.raises(ValueError, match='size=8'):
        generate_shapes_folder(str(tmp_path), size=8)


def test_script_writes_the_set(run_tool, tmp_path):
    result = run_tool(SCRIPT, '--out', tmp_path, '--num-classes', 2, '--train-per-class', 1,
                      '--val-per-class', 1, '--size', 16)
    assert result.returncode == 0, result.stdout
    assert result.last_line.startswith('wrote 2 classes (circle, square)')
    assert (tmp_path / 'val' / 'square' / '00000.png').is_file()

"""A generated classification set: one coloured shape per image, K classes.

:func:`generate_shapes_folder` writes it as an ImageNet-style folder (read
by :class:`ClassFolderDataset`)::

    root/train/<shape>/00000.png    RGB image (size, size, 3)
    root/val/<shape>/00000.png

Each image holds one shape of a random colour, size and place over a noisy
background; the class is the shape.
"""
import os
import os.path as osp
from typing import Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

#: The classes, in the order a K-class set takes them.
SHAPES = ('circle', 'square', 'triangle', 'star', 'cross', 'ring', 'diamond', 'hexagon',
          'pentagon', 'ellipse')


def polygon(centre: Tuple[int, int], radii: Tuple[float, ...], corners: int) -> np.ndarray:
    """``corners`` points on circles around ``centre`` (the first at the
    top), their radii cycling through ``radii``: (corners, 2) int32."""
    angles = -np.pi / 2 + 2 * np.pi * np.arange(corners) / corners
    lengths = np.resize(np.asarray(radii, np.float64), corners)
    points = np.stack([centre[0] + lengths * np.cos(angles),
                       centre[1] + lengths * np.sin(angles)], 1)
    return np.round(points).astype(np.int32)


def shape_mask(shape: str, size: int, centre: Tuple[int, int], radius: int) -> np.ndarray:
    """A (size, size) uint8 mask, 1 inside ``shape`` of ``radius`` at ``centre``."""
    mask = np.zeros((size, size), np.uint8)
    cx, cy = centre
    if shape == 'circle':
        cv2.circle(mask, centre, radius, 1, -1)
    elif shape == 'ring':
        cv2.circle(mask, centre, radius - max(radius // 6, 1), 1, max(radius // 3, 2))
    elif shape == 'ellipse':
        cv2.ellipse(mask, centre, (radius, radius // 2), 0, 0, 360, 1, -1)
    elif shape == 'square':
        cv2.rectangle(mask, (cx - radius, cy - radius), (cx + radius, cy + radius), 1, -1)
    elif shape == 'cross':
        arm = max(radius // 3, 1)
        cv2.rectangle(mask, (cx - radius, cy - arm), (cx + radius, cy + arm), 1, -1)
        cv2.rectangle(mask, (cx - arm, cy - radius), (cx + arm, cy + radius), 1, -1)
    else:
        radii, corners = {'triangle': ((radius, ), 3), 'diamond': ((radius, ), 4),
                          'pentagon': ((radius, ), 5), 'hexagon': ((radius, ), 6),
                          'star': ((radius, radius * 0.45), 10)}[shape]
        cv2.fillPoly(mask, [polygon(centre, radii, corners)], 1)
    return mask


def draw_shape_image(rng: np.random.Generator, shape: str, size: int) -> np.ndarray:
    """One (size, size, 3) uint8 image of ``shape`` (BGR, as cv2 writes it)."""
    image = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    radius = int(rng.integers(size // 6, size // 3 + 1))
    centre = tuple(int(v) for v in rng.integers(radius, size - radius, 2))
    image[shape_mask(shape, size, centre, radius) > 0] = [int(c) for c in rng.integers(80, 256, 3)]
    return image


def generate_shapes_folder(out_dir: str, num_classes: int = 8, train_per_class: int = 16,
                           val_per_class: int = 20, size: int = 64, seed: int = 0) -> tuple:
    """Write the set under ``out_dir`` (see the module docstring); returns its
    class names, the first ``num_classes`` of :data:`SHAPES`.

    The same arguments always give the same files. Files with the same names
    are overwritten; nothing else in ``out_dir`` is touched.

    Raises:
        ValueError: ``num_classes`` outside 1..len(SHAPES), or ``size`` < 16.
    """
    if not 1 <= num_classes <= len(SHAPES):
        raise ValueError(f'num_classes={num_classes}: choose 1 to {len(SHAPES)} '
                         f'(the shapes {", ".join(SHAPES)})')
    if size < 16:
        raise ValueError(f'size={size}: images need at least 16 pixels a side')
    classes = SHAPES[:num_classes]
    rng = np.random.default_rng(seed)
    progress = ProgressBar(num_classes * (train_per_class + val_per_class))
    for split, count in (('train', train_per_class), ('val', val_per_class)):
        for shape in classes:
            folder = osp.join(out_dir, split, shape)
            os.makedirs(folder, exist_ok=True)
            for index in range(count):
                cv2.imwrite(osp.join(folder, f'{index:05d}.png'),
                            draw_shape_image(rng, shape, size))
                progress.update()
    return classes

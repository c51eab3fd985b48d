"""Generated images of coloured shapes with per-pixel labels.

:func:`generate_synthetic_shapes` writes the set that
:class:`mmris.datasets.SyntheticShapesDataset` reads (its layout is there).
"""
import os
import os.path as osp
from typing import List

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from mmris.datasets.synthetic_shapes import CLASSES

from .output_folder import claim_output_folder

SPLITS = ('train', 'val')


def output_files(num_train: int, num_val: int) -> List[str]:
    """The files :func:`generate_synthetic_shapes` writes, relative to its
    output folder."""
    return [osp.join(sub, split, f'{index:05d}.png')
            for split, count in zip(SPLITS, (num_train, num_val))
            for index in range(count) for sub in ('img_dir', 'ann_dir')]


def draw_sample(rng: np.random.Generator, size: int, max_shapes: int = 4):
    """Draw one image and its label map.

    Shapes get random colours, sizes and places over a noisy background;
    later shapes cover earlier ones, in the image and in the labels alike.

    Returns:
        tuple: image ``(size, size, 3)`` uint8 (BGR, as cv2 writes it) and
        label map ``(size, size)`` uint8 with values in ``0..3``.
    """
    image = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    labels = np.zeros((size, size), np.uint8)
    for _ in range(rng.integers(1, max_shapes + 1)):
        label = int(rng.integers(1, len(CLASSES)))
        colour = [int(c) for c in rng.integers(80, 256, 3)]
        radius = int(rng.integers(size // 10, size // 4))
        cx, cy = (int(v) for v in rng.integers(radius, size - radius, 2))
        mask = np.zeros((size, size), np.uint8)
        if CLASSES[label] == 'circle':
            cv2.circle(mask, (cx, cy), radius, 1, -1)
        elif CLASSES[label] == 'square':
            cv2.rectangle(mask, (cx - radius, cy - radius), (cx + radius, cy + radius), 1, -1)
        else:
            corners = np.array([[cx, cy - radius], [cx - radius, cy + radius],
                                [cx + radius, cy + radius]], np.int32)
            cv2.fillPoly(mask, [corners], 1)
        image[mask > 0] = colour
        labels[mask > 0] = label
    return image, labels


def generate_synthetic_shapes(out_dir: str, num_train: int = 200, num_val: int = 40,
                              size: int = 64, seed: int = 0, overwrite: bool = False) -> None:
    """Write the synthetic shapes set under ``out_dir`` (see the module docstring).

    The same ``seed`` always gives the same files. The output folder is
    claimed first (:mod:`.output_folder`): files of the same names are
    rewritten where a generator wrote them, refused (OutputExistsError)
    elsewhere unless ``overwrite``; nothing else in ``out_dir`` is touched.
    """
    claim_output_folder(out_dir, output_files(num_train, num_val), overwrite)
    rng = np.random.default_rng(seed)
    progress = ProgressBar(num_train + num_val)
    for split, count in zip(SPLITS, (num_train, num_val)):
        for sub in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(out_dir, sub, split), exist_ok=True)
        for index in range(count):
            image, labels = draw_sample(rng, size)
            name = f'{index:05d}.png'
            cv2.imwrite(osp.join(out_dir, 'img_dir', split, name), image)
            cv2.imwrite(osp.join(out_dir, 'ann_dir', split, name), labels)
            progress.update()

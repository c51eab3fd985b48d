"""A generated detection set of coloured shapes in the COCO format.

A small, download-free stand-in for COCO that mmdet's ``CocoDataset`` and
``CocoMetric`` read unchanged::

    out_dir/train/000000000001.jpg            RGB images
    out_dir/val/000000000401.jpg
    out_dir/annotations/instances_train.json  COCO instances (boxes, polygons or RLE)
    out_dir/annotations/instances_val.json

Each image is a scene of 2 to 4 non-overlapping shapes drawn by
:mod:`.shape_scenes`; the categories are the shapes (:data:`CLASSES`:
circle, square, triangle, whatever their colour). The same seed always
gives the same files. The output folder is claimed first
(:mod:`.output_folder`): a folder that holds any of these files without
being a generator's is refused.
"""
import json
import os
import os.path as osp
from typing import Dict, List

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from .output_folder import claim_output_folder
from .shape_scenes import CATEGORIES, SHAPES, coco_annotation, draw_scene

#: The class names, in category id order: the vocabulary of the set.
CLASSES = SHAPES
IMAGE_NAME = '{:012d}.jpg'
ANN_FILE = 'annotations/instances_{}.json'


def output_files(num_train: int, num_val: int) -> List[str]:
    """The files :func:`generate_synthetic_coco` writes, relative to its
    output folder: image ids count on from the train split into val."""
    return ([ANN_FILE.format(split) for split in ('train', 'val')]
            + [osp.join('train', IMAGE_NAME.format(i)) for i in range(1, num_train + 1)]
            + [osp.join('val', IMAGE_NAME.format(i))
               for i in range(num_train + 1, num_train + num_val + 1)])


def generate_synthetic_coco(out_dir: str, num_train: int = 400, num_val: int = 100,
                            size: int = 128, seed: int = 0, jpeg_quality: int = 95,
                            overwrite: bool = False) -> Dict[str, Dict[str, int]]:
    """Write the synthetic detection set under ``out_dir`` (see the module doc).

    Args:
        out_dir: the data root; ``train/``, ``val/`` and ``annotations/`` go
            under it.
        num_train: training images (at least 1).
        num_val: validation images (at least 1).
        size: the longest an image side may be; sides are drawn from
            ``[5 * size // 8, size]``.
        seed: the random seed; the same seed gives the same files.
        jpeg_quality: quality of the written JPEG images.
        overwrite: replace the files of the same names in an ``out_dir``
            that a generator did not write (see :mod:`.output_folder`).

    Returns:
        dict: for each split, its number of ``images`` and ``boxes``.

    Raises:
        OutputExistsError: ``out_dir`` holds files of the same names that a
            generator did not write, and ``overwrite`` is False.
    """
    if min(num_train, num_val) < 1:
        raise ValueError(f'num_train and num_val must be at least 1, got {num_train} and '
                         f'{num_val}')
    if size < 32:
        raise ValueError(f'size must be at least 32 pixels, got {size}')
    claim_output_folder(out_dir, output_files(num_train, num_val), overwrite)
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(out_dir, osp.dirname(ANN_FILE)), exist_ok=True)
    summary, image_id, ann_id = {}, 0, 0
    progress = ProgressBar(num_train + num_val)
    for split, count in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        images, annotations = [], []
        for _ in range(count):
            image_id += 1
            image, objects = draw_scene(rng, size)
            file_name = IMAGE_NAME.format(image_id)
            cv2.imwrite(osp.join(out_dir, split, file_name), image[..., ::-1],
                        [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            images.append(dict(id=image_id, file_name=file_name, height=image.shape[0],
                               width=image.shape[1]))
            for obj in objects:
                ann_id += 1
                annotations.append(coco_annotation(obj, ann_id, image_id))
            progress.update()
        instances = dict(info=dict(description=f'mmris synthetic coco {split}', seed=seed),
                         images=images, annotations=annotations, categories=CATEGORIES)
        with open(osp.join(out_dir, ANN_FILE.format(split)), 'w') as file:
            json.dump(instances, file)
        summary[split] = dict(images=count, boxes=len(annotations))
    return summary

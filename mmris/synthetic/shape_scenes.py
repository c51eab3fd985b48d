"""Scenes of coloured shapes on a grey background, with COCO annotations.

What the synthetic referring set (:mod:`.refcoco`) and the
synthetic detection set (:mod:`.coco`) draw: 2 to 4 shapes
(circle, square, triangle; red, green, blue or yellow) that do not overlap,
on a plain or lightly textured grey background. Squares and triangles are
annotated as polygons, circles as compressed RLE (``counts`` a str), so
readers meet both encodings.
"""
from typing import List, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

#: Nominal RGB of each colour; drawn shapes stay within 12 of it per channel.
COLOURS = {
    'red': (220, 40, 40),
    'green': (40, 170, 60),
    'blue': (40, 80, 220),
    'yellow': (235, 215, 40),
}
SHAPES = ('circle', 'square', 'triangle')
CATEGORIES = [dict(id=index + 1, name=name, supercategory='shape')
              for index, name in enumerate(SHAPES)]
def _place_shapes(rng: np.random.Generator, height: int, width: int) -> List[dict]:
    """Pick 2-4 distinct (colour, shape) pairs and non-overlapping places."""
    combos = [(colour, shape) for colour in COLOURS for shape in SHAPES]
    short = min(height, width)
    while True:
        count = int(rng.integers(2, 5))
        picks = rng.choice(len(combos), count, replace=False)
        objects = []
        for pick in picks:
            colour, shape = combos[pick]
            size = float(rng.uniform(max(3.0, 0.09 * short), max(4.0, 0.16 * short)))
            reach = size if shape == 'circle' else size * 1.42  # radius of a bounding circle
            for _ in range(60):
                cx = float(rng.uniform(size + 1, width - size - 2))
                cy = float(rng.uniform(size + 1, height - size - 2))
                if all(np.hypot(cx - o['cx'], cy - o['cy']) > reach + o['reach'] + 2
                       for o in objects):
                    objects.append(dict(colour=colour, shape=shape, cx=cx, cy=cy,
                                        size=size, reach=reach))
                    break
        if len(objects) >= 2:
            return objects


def _segment(obj: dict, height: int, width: int):
    """The annotation's segmentation (polygons or RLE) and its binary mask."""
    cx, cy, size = obj['cx'], obj['cy'], obj['size']
    if obj['shape'] == 'circle':
        mask = np.zeros((height, width), np.uint8)
        cv2.circle(mask, (int(round(cx)), int(round(cy))), int(round(size)), 1, -1)
        rle = mask_utils.encode(np.asfortranarray(mask))
        return dict(size=[height, width], counts=rle['counts'].decode('ascii')), rle
    if obj['shape'] == 'square':
        x1, y1, x2, y2 = cx - size, cy - size, cx + size, cy + size
        polygon = [x1, y1, x2, y1, x2, y2, x1, y2]
    else:
        polygon = [cx, cy - size, cx + size, cy + size, cx - size, cy + size]
    polygons = [[round(v, 1) for v in polygon]]
    rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    return polygons, rle


def _draw_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    grey = rng.integers(95, 185)
    base = np.clip(grey + rng.integers(-15, 16, 3), 0, 255).astype(np.float32)
    image = np.broadcast_to(base, (height, width, 3)).copy()
    if rng.random() < 0.5:  # lightly textured: a soft gradient and some noise
        ramp = np.linspace(-1, 1, width if rng.random() < 0.5 else height, dtype=np.float32)
        ramp = ramp[None, :, None] if ramp.size == width else ramp[:, None, None]
        image += ramp * rng.uniform(5, 15) + rng.normal(0, 5, image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def draw_scene(rng: np.random.Generator, size: int) -> Tuple[np.ndarray, List[dict]]:
    """Draw one scene whose sides are drawn from ``[5 * size // 8, size]``.

    Returns:
        tuple: the RGB image (H, W, 3) uint8 and its shapes, each a dict
        with ``colour``, ``shape``, ``cx``, ``cy``, ``size``, ``reach``
        (radius of a bounding circle) and its COCO ``segmentation``, ``bbox``
        (x, y, w, h of the drawn mask) and ``area``.
    """
    height = int(rng.integers(5 * size // 8, size + 1))
    width = int(rng.integers(5 * size // 8, size + 1))
    image = _draw_background(rng, height, width)
    objects = _place_shapes(rng, height, width)
    for obj in objects:
        segmentation, rle = _segment(obj, height, width)
        painted = mask_utils.decode(rle).astype(bool)
        image[painted] = np.clip(np.array(COLOURS[obj['colour']]) +
                                 rng.integers(-12, 13, 3), 0, 255)
        obj.update(segmentation=segmentation, bbox=[float(v) for v in mask_utils.toBbox(rle)],
                   area=float(mask_utils.area(rle)))
    return image, objects


def coco_annotation(obj: dict, ann_id: int, image_id: int) -> dict:
    """The COCO annotation of a shape of :func:`draw_scene`."""
    return dict(id=ann_id, image_id=image_id, category_id=SHAPES.index(obj['shape']) + 1,
                segmentation=obj['segmentation'], area=obj['area'], bbox=obj['bbox'], iscrowd=0)

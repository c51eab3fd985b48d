"""Generated referring expressions over images of coloured shapes.

A small, download-free stand-in for RefCOCO, written in the on-disk format
of the refer toolkit and laid out like mmdet's ``data/coco``, so the code
that reads the real data reads it unchanged::

    out_dir/train2014/COCO_train2014_000000000001.jpg   RGB images
    out_dir/refcoco/instances.json                      COCO instances
    out_dir/refcoco/refs(unc).p                         pickled list of refs

Every image is a scene of 2 to 4 shapes drawn by :mod:`.shape_scenes`
(circle, square, triangle; red, green, blue or yellow), each a COCO
annotation (polygons, or compressed RLE for circles). Most shapes are referred to, each by 2 or 3 expressions
about its colour, shape and place ("the red circle", "the green shape on
the right", "the circle left of the blue square") that are true of the
drawn geometry and pick out that shape alone within its image.

As in the real files, a ref's ``file_name`` is the image name with the
annotation id appended (``COCO_train2014_000000000001_7.jpg``); the image
file itself is named by ``instances.json``.

The images are split into train / val / testA / testB (70/10/10/10 %,
every split at least one image). The same seed always gives the same files.
The output folder is claimed first (:mod:`.output_folder`): a folder that
holds any of these files without being a generator's is refused.
"""
import json
import os
import os.path as osp
import pickle
import string
from typing import Dict, List, Optional

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from .output_folder import claim_output_folder
from .shape_scenes import CATEGORIES, coco_annotation, draw_scene

SPLITS = ('train', 'val', 'testA', 'testB')
IMAGE_DIR = 'train2014'
IMAGE_NAME = 'COCO_train2014_{:012d}.jpg'
ANN_FILE = 'refcoco/instances.json'
REFS_FILE = 'refcoco/refs(unc).p'

_GENERIC = ('shape', 'object', 'one', 'thing')
_RELATIONS = {
    'left of': lambda a, b: a['bbox'][0] + a['bbox'][2] < b['bbox'][0],
    'right of': lambda a, b: b['bbox'][0] + b['bbox'][2] < a['bbox'][0],
    'above': lambda a, b: a['bbox'][1] + a['bbox'][3] < b['bbox'][1],
    'below': lambda a, b: b['bbox'][1] + b['bbox'][3] < a['bbox'][1],
}
_RELATION_WORDS = {
    'left of': ('left of', 'to the left of'),
    'right of': ('right of', 'to the right of'),
    'above': ('above',),
    'below': ('below', 'under'),
}
# side: (centre coordinate, sign: +1 when the side has the larger values)
_SIDES = {'left': (0, -1), 'right': (0, 1), 'top': (1, -1), 'bottom': (1, 1)}
_SIDE_WORDS = {'left': ('on the left',), 'right': ('on the right',),
               'top': ('at the top',), 'bottom': ('at the bottom',)}


def _matches(objects: List[dict], colour: str = None, shape: str = None) -> List[dict]:
    return [o for o in objects
            if (colour is None or o['colour'] == colour) and (shape is None or o['shape'] == shape)]


def _noun_phrases(rng: np.random.Generator, target: dict, objects: List[dict]):
    """Ways to name ``target`` by colour and/or shape: (phrase, objects it fits)."""
    colour, shape = target['colour'], target['shape']
    generic = _GENERIC[rng.integers(len(_GENERIC))]
    return [(f'{colour} {shape}', _matches(objects, colour, shape)),
            (f'{colour} {generic}', _matches(objects, colour=colour)),
            (shape, _matches(objects, shape=shape))]


def _unique_name(rng: np.random.Generator, obj: dict, objects: List[dict]) -> str:
    """The shortest of the names that fit ``obj`` alone (colour+shape always does)."""
    unique = [phrase for phrase, fits in _noun_phrases(rng, obj, objects) if fits == [obj]]
    return min(unique, key=lambda phrase: (len(phrase.split()), rng.random()))


def _is_extreme(obj: dict, others: List[dict], side: str, margin: float) -> bool:
    axis, sign = _SIDES[side]
    centre = (obj['cx'], obj['cy'])[axis]
    return all(sign * (centre - (o['cx'], o['cy'])[axis]) > margin for o in others)


def single_target_expressions(rng: np.random.Generator, target: dict, objects: List[dict],
                 height: int, width: int) -> List[str]:
    """2 or 3 distinct expressions that fit ``target`` alone among ``objects``.

    Each names the target's colour or shape first, so its head noun phrase
    is always about the target itself.
    """
    colour, shape = target['colour'], target['shape']
    by_name = [f'the {colour} {shape}', f'{colour} {shape}', f'the {shape} that is {colour}']
    by_name += [f'the {phrase}' for phrase, fits in _noun_phrases(rng, target, objects)[1:]
                if fits == [target]]

    by_side = []
    margin = 0.06 * max(height, width)
    for phrase, fits in _noun_phrases(rng, target, objects):
        rivals = [o for o in fits if o is not target] or [o for o in objects if o is not target]
        for side, words in _SIDE_WORDS.items():
            if _is_extreme(target, rivals, side, margin):
                by_side.append(f'the {phrase} {words[rng.integers(len(words))]}')

    by_relation = []
    for phrase, fits in _noun_phrases(rng, target, objects):
        for anchor in objects:
            if anchor is target:
                continue
            for relation, holds in _RELATIONS.items():
                if holds(target, anchor) and not any(
                        holds(o, anchor) for o in fits if o is not target and o is not anchor):
                    words = _RELATION_WORDS[relation]
                    by_relation.append(f'the {phrase} {words[rng.integers(len(words))]} '
                                       f'the {_unique_name(rng, anchor, objects)}')

    groups = [group for group in (by_name, by_side, by_relation) if group]
    for group in groups:
        rng.shuffle(group)
    rng.shuffle(groups)
    # One of each kind first, then whatever is left, without repeats.
    order = [group[0] for group in groups] + [e for group in groups for e in group[1:]]
    chosen = []
    for expression in order:
        if expression not in chosen:
            chosen.append(expression)
    return chosen[:int(rng.integers(2, 4))]


def refer_sentence(rng: np.random.Generator, text: str, sent_id: int) -> dict:
    """A refer-style sentence: ``raw`` varies case and punctuation, ``sent``
    is its lower-case form without punctuation, ``tokens`` its words."""
    raw = text
    if rng.random() < 0.4:
        raw = raw[0].upper() + raw[1:]
    if rng.random() < 0.3:
        raw += '.' if rng.random() < 0.8 else ' !'
    if rng.random() < 0.1:
        raw += ' '
    sent = raw.lower().translate(str.maketrans('', '', string.punctuation)).strip()
    sent = ' '.join(sent.split())
    return dict(tokens=sent.split(), raw=raw, sent_id=sent_id, sent=sent)


def split_of_images(rng: np.random.Generator, num_images: int) -> List[str]:
    held_out = max(1, int(round(0.1 * num_images)))
    names = ['train'] * (num_images - 3 * held_out)
    for split in SPLITS[1:]:
        names += [split] * held_out
    return [names[i] for i in rng.permutation(num_images)]


def output_files(num_images: int) -> List[str]:
    """The files :func:`generate_synthetic_refcoco` writes, relative to its
    output folder."""
    return [ANN_FILE, REFS_FILE] + [osp.join(IMAGE_DIR, IMAGE_NAME.format(image_id))
                                    for image_id in range(1, num_images + 1)]


def check_arguments(num_images: int, size: int) -> None:
    """ValueError unless ``num_images`` and ``size`` can make a set."""
    if num_images < len(SPLITS):
        raise ValueError(f'num_images must be at least {len(SPLITS)} (one image per split), '
                         f'got {num_images}')
    if size < 32:
        raise ValueError(f'size must be at least 32 pixels, got {size}')


def generate_synthetic_refcoco(out_dir: str, num_images: int = 600, size: int = 128,
                               seed: int = 0, refer_prob: float = 0.85,
                               jpeg_quality: int = 95, scenes: Optional[list] = None,
                               overwrite: bool = False) -> Dict[str, Dict[str, int]]:
    """Write the synthetic referring set under ``out_dir`` (see the module docstring).

    Args:
        out_dir: the data root; ``train2014/`` and ``refcoco/`` go under it.
        num_images: how many images, at least 4 (one per split).
        size: the longest an image side may be; sides are drawn from
            ``[5 * size // 8, size]`` so images are mostly not square.
        seed: the random seed; the same seed gives the same files.
        refer_prob: the chance that a shape is referred to; every image has
            at least one referred shape, the rest stay as distractors.
        jpeg_quality: quality of the written JPEG images.
        scenes: a list that, when given, receives one dict per image:
            ``image_id``, ``height``, ``width`` and its shapes (``objects``,
            as :func:`draw_scene` gives them, with their ``ann_id``), for a
            variant written over the same images (:mod:`.grefcoco`).
        overwrite: replace the files of the same names in an ``out_dir``
            that a generator did not write (see :mod:`.output_folder`).

    Returns:
        dict: for each split, its number of ``images``, ``refs`` and
        ``sentences``.

    Raises:
        OutputExistsError: ``out_dir`` holds files of the same names that a
            generator did not write, and ``overwrite`` is False.
    """
    check_arguments(num_images, size)
    claim_output_folder(out_dir, output_files(num_images), overwrite)
    rng = np.random.default_rng(seed)
    image_dir = osp.join(out_dir, IMAGE_DIR)
    os.makedirs(image_dir, exist_ok=True)
    os.makedirs(osp.join(out_dir, osp.dirname(ANN_FILE)), exist_ok=True)

    splits = split_of_images(rng, num_images)
    summary = {split: dict(images=0, refs=0, sentences=0) for split in SPLITS}
    images, annotations, refs = [], [], []
    category_ids = {c['name']: c['id'] for c in CATEGORIES}
    progress = ProgressBar(num_images)
    for index in range(num_images):
        image_id, split = index + 1, splits[index]
        image, objects = draw_scene(rng, size)
        height, width = image.shape[:2]
        for obj in objects:
            obj['ann_id'] = len(annotations) + 1
            annotations.append(coco_annotation(obj, obj['ann_id'], image_id))
        file_name = IMAGE_NAME.format(image_id)
        cv2.imwrite(osp.join(image_dir, file_name), image[..., ::-1],
                    [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        images.append(dict(id=image_id, file_name=file_name, height=height, width=width))
        if scenes is not None:
            scenes.append(dict(image_id=image_id, height=height, width=width, objects=objects))

        referred = [o for o in objects if rng.random() < refer_prob]
        if not referred:
            referred = [objects[int(rng.integers(len(objects)))]]
        sent_id = sum(len(ref['sentences']) for ref in refs)
        for obj in referred:
            sentences = []
            for text in single_target_expressions(rng, obj, objects, height, width):
                sentences.append(refer_sentence(rng, text, sent_id))
                sent_id += 1
            refs.append(dict(
                ref_id=len(refs), ann_id=obj['ann_id'], image_id=image_id, split=split,
                sentences=sentences, file_name=file_name[:-4] + f'_{obj["ann_id"]}.jpg',
                category_id=category_ids[obj['shape']],
                sent_ids=[s['sent_id'] for s in sentences]))
            summary[split]['refs'] += 1
            summary[split]['sentences'] += len(sentences)
        summary[split]['images'] += 1
        progress.update()

    instances = dict(
        info=dict(description='mmris synthetic refcoco', seed=seed),
        images=images, annotations=annotations, categories=CATEGORIES)
    with open(osp.join(out_dir, ANN_FILE), 'w') as file:
        json.dump(instances, file)
    with open(osp.join(out_dir, REFS_FILE), 'wb') as file:
        pickle.dump(refs, file)
    return summary

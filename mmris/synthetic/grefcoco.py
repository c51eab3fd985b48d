"""The generated referring set's gRefCOCO variant: expressions that name
one shape, several, or none.

Written in the official gRefCOCO format beside the RefCOCO-style set of
:mod:`.refcoco`, over the same images (as the real gRefCOCO shares COCO
train2014 with RefCOCO)::

    out_dir/train2014/COCO_train2014_*.jpg   the images of the referring set
    out_dir/grefcoco/instances.json          the same COCO instances
    out_dir/grefcoco/grefs(unc).json         a JSON list of refs

A ref is the refer toolkit's dict except that ``ann_id`` and
``category_id`` are lists: the targets' annotation ids and their categories,
``[-1]`` for an expression that names nothing in the picture. Per image:

- each shape is referred to alone with probability ``single_prob``, by the
  expressions of the referring set ("the red circle", "the square on the
  left");
- every group of two or more shapes of one shape kind or one colour gets a
  multi-target ref ("all the circles", "the two squares", "both red
  objects");
- with probability ``no_target_prob`` a no-target ref names a colour and
  shape pair that the picture lacks, preferring pairs whose colour and
  shape are each there on other shapes ("the red square" beside a red
  circle and a blue square), as gRefCOCO's deceptive no-target expressions
  do (:func:`no_target_expressions`).

The images get their own train / val / testA / testB split (70/10/10/10 %,
drawn independently of the referring set's), so an image of one set's
evaluation split can be in the other's train split: what the leakage rule of
mixed training (:class:`mmris.datasets.LeakFreeConcatDataset`) drops.
"""
import json
import os
import os.path as osp
from typing import Dict, List

import numpy as np

from .output_folder import claim_output_folder
from .refcoco import (
    ANN_FILE,
    SPLITS,
    check_arguments,
    generate_synthetic_refcoco,
    output_files,
    refer_sentence,
    single_target_expressions,
    split_of_images,
)
from .shape_scenes import COLOURS, SHAPES

GREF_ANN_FILE = 'grefcoco/instances.json'
GREFS_FILE = 'grefcoco/grefs(unc).json'
_COUNT_WORDS = {2: 'two', 3: 'three', 4: 'four'}
_GENERIC_PLURAL = ('shapes', 'objects', 'things')


def _plural(shape: str) -> str:
    return shape + 'es' if shape.endswith('s') else shape + 's'


def _group_expressions(rng: np.random.Generator, members: List[dict], colour: str = None,
                       shape: str = None) -> List[str]:
    """2 or 3 expressions naming exactly ``members``: every shape of one
    kind (``shape``) or of one colour (``colour``)."""
    noun = _plural(shape) if shape else f'{colour} {_GENERIC_PLURAL[rng.integers(3)]}'
    count = _COUNT_WORDS[len(members)]
    options = [f'all the {noun}', f'the {count} {noun}', f'all {noun}', f'every {shape or colour + " shape"}']
    if len(members) == 2:
        options.append(f'both {noun}')
    rng.shuffle(options)
    return options[:int(rng.integers(2, 4))]


def no_target_expressions(rng: np.random.Generator, objects: List[dict]) -> List[str]:
    """2 expressions that name nothing among ``objects`` yet look like
    something that is there, as gRefCOCO's no-target expressions do (its
    annotators wrote them about the picture, so they are deceptive, not
    unrelated). Taken in this order of preference, each tier shuffled:

    1. a colour and a shape kind that are both in the picture, never
       together ("the red square" beside a red circle and a blue square);
    2. a shape kind that is there, in a colour that is not;
    3. a colour that is there, on a shape kind that is not;
    4. a shape kind or a colour that the picture lacks ("all the triangles",
       "the yellow shape").

    Empty when every colour and shape pair is there.
    """
    pairs = {(o['colour'], o['shape']) for o in objects}
    colours = {o['colour'] for o in objects}
    shapes = {o['shape'] for o in objects}
    missing = [(c, s) for c in COLOURS for s in SHAPES if (c, s) not in pairs]
    tiers = [
        [pair for pair in missing if pair[0] in colours and pair[1] in shapes],
        [pair for pair in missing if pair[0] not in colours and pair[1] in shapes],
        [pair for pair in missing if pair[0] in colours and pair[1] not in shapes],
    ]
    options = []
    for tier in tiers:
        phrased = [(f'the {c} {s}', f'{c} {s}', f'the {s} that is {c}')[rng.integers(3)]
                   for c, s in tier]
        rng.shuffle(phrased)
        options += phrased
    lacking = [f'the {s}' for s in SHAPES if s not in shapes]
    lacking += [f'all the {_plural(s)}' for s in SHAPES if s not in shapes]
    lacking += [f'the {c} {_GENERIC_PLURAL[rng.integers(3)][:-1]}' for c in COLOURS
                if c not in colours]
    rng.shuffle(lacking)
    return (options + lacking)[:2]


def _refs_of_image(rng: np.random.Generator, scene: dict, single_prob: float,
                   no_target_prob: float) -> List[tuple]:
    """(target shapes, expressions) of one image; no targets: a no-target ref."""
    objects, refs = scene['objects'], []
    for obj in objects:
        if rng.random() < single_prob:
            refs.append(([obj], single_target_expressions(rng, obj, objects, scene['height'],
                                                          scene['width'])))
    for shape in SHAPES:
        members = [o for o in objects if o['shape'] == shape]
        if len(members) >= 2:
            refs.append((members, _group_expressions(rng, members, shape=shape)))
    for colour in COLOURS:
        members = [o for o in objects if o['colour'] == colour]
        if len(members) >= 2:
            refs.append((members, _group_expressions(rng, members, colour=colour)))
    if rng.random() < no_target_prob:
        texts = no_target_expressions(rng, objects)
        if texts:
            refs.append(([], texts))
    return refs


def generate_synthetic_grefcoco(out_dir: str, num_images: int = 600, size: int = 128,
                                seed: int = 0, single_prob: float = 0.5,
                                no_target_prob: float = 0.8, overwrite: bool = False
                                ) -> Dict[str, Dict[str, Dict[str, int]]]:
    """Write the referring set (:func:`generate_synthetic_refcoco`, same
    arguments and files) and its gRefCOCO variant over the same images (see
    the module docstring).

    Args:
        single_prob: the chance that a shape gets a single-target ref.
        no_target_prob: the chance that an image gets a no-target ref.
        overwrite: as for :func:`generate_synthetic_refcoco`; the files of
            both sets are checked before any is written.

    Returns:
        dict: ``refcoco`` and ``grefcoco``, each split -> its number of
        ``images``, ``refs`` and ``sentences``; ``grefcoco`` also counts
        ``no-target`` and ``multi-target`` refs.
    """
    check_arguments(num_images, size)
    claim_output_folder(out_dir, [GREF_ANN_FILE, GREFS_FILE, *output_files(num_images)],
                        overwrite)
    scenes: List[dict] = []
    refcoco = generate_synthetic_refcoco(out_dir, num_images=num_images, size=size, seed=seed,
                                         scenes=scenes)
    rng = np.random.default_rng([seed, 21])
    splits = split_of_images(rng, num_images)
    summary = {split: {'images': 0, 'refs': 0, 'sentences': 0, 'no-target': 0, 'multi-target': 0}
               for split in SPLITS}
    refs, sent_id = [], 0
    for scene, split in zip(scenes, splits):
        summary[split]['images'] += 1
        for targets, texts in _refs_of_image(rng, scene, single_prob, no_target_prob):
            sentences = [refer_sentence(rng, text, sent_id + i) for i, text in enumerate(texts)]
            sent_id += len(sentences)
            ann_ids = [o['ann_id'] for o in targets] or [-1]
            refs.append(dict(
                ref_id=len(refs), image_id=scene['image_id'], split=split, ann_id=ann_ids,
                category_id=[SHAPES.index(o['shape']) + 1 for o in targets] or [-1],
                sentences=sentences, sent_ids=[s['sent_id'] for s in sentences],
                file_name=f'COCO_train2014_{scene["image_id"]:012d}_{ann_ids[0]}.jpg'))
            summary[split]['refs'] += 1
            summary[split]['sentences'] += len(sentences)
            summary[split]['no-target'] += not targets
            summary[split]['multi-target'] += len(targets) > 1
    os.makedirs(osp.join(out_dir, osp.dirname(GREF_ANN_FILE)), exist_ok=True)
    with open(osp.join(out_dir, ANN_FILE)) as file:
        instances = json.load(file)
    with open(osp.join(out_dir, GREF_ANN_FILE), 'w') as file:
        json.dump(instances, file)
    with open(osp.join(out_dir, GREFS_FILE), 'w') as file:
        json.dump(refs, file)
    return dict(refcoco=refcoco, grefcoco=summary)

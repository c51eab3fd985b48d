"""gRefCOCO (generalized referring segmentation) read from the official release.

Files, as the release lays them out under ``data_root``::

    train2014/COCO_train2014_*.jpg      COCO train2014 images
    grefcoco/instances.json             COCO annotations of the gRefCOCO images
    grefcoco/grefs(unc).json            a JSON list of refs

A ref is a refer-toolkit ref whose ``ann_id`` is a list: the annotation ids
of all its targets, or ``[-1]`` when the expression names nothing in the
image (a plain int is read as a one-element list, as the release's own
toolkit does). Each ref has several ``sentences`` (``sent`` is the text
used). ``category_id`` is not read.
"""
import os.path as osp
from typing import List

import numpy as np
import pycocotools.mask as mask_utils
from mmengine.fileio import join_path

from mmris.registry import DATASETS
from mmris.utils.errors import DatasetError

from .base_ris_dataset import load_json, require_file
from .refcoco import RefCOCODataset, refs_in_split
from .transforms.loading import decode_mask

#: ``ann_id`` of a ref that names no object.
NO_TARGET = -1


def union_mask(segmentations: list, height: int, width: int) -> dict:
    """The compressed RLE (``counts`` a str) of the union of COCO
    segmentations (polygons or RLE) of one image; all zeros for none."""
    mask = np.zeros((height, width), np.uint8)
    for segmentation in segmentations:
        mask |= decode_mask(segmentation, height, width)
    rle = mask_utils.encode(np.asfortranarray(mask))
    return dict(size=[height, width], counts=rle['counts'].decode('ascii'))


def target_ids(ref: dict, source: str) -> List[int]:
    """The annotation ids a ref names, ``[]`` for a no-target ref.

    Raises:
        DatasetError: ``-1`` listed together with targets, or an empty list.
    """
    ids = ref['ann_id'] if isinstance(ref['ann_id'], list) else [ref['ann_id']]
    if not ids:
        raise DatasetError(f'{source}: ann_id is an empty list; a ref names its targets\' '
                           f'annotation ids, or is [-1] (no target)')
    if NO_TARGET in ids and ids != [NO_TARGET]:
        raise DatasetError(f'{source}: ann_id {ids} lists targets together with -1 (no target); '
                           f'a no-target ref must have ann_id [-1] alone')
    return [] if ids == [NO_TARGET] else ids


@DATASETS.register_module()
class GRefCOCODataset(RefCOCODataset):
    """gRefCOCO, one split, in one of the RIS modes (see :class:`BaseRISDataset`).

    Each entry's ``mask`` is the union of its targets' masks (an empty mask
    for a no-target ref), a compressed RLE that ``LoadRISAnnotations``
    decodes; ``no_target`` is True for a ref with ``ann_id`` ``[-1]``
    (``PackRISInputs`` with ``'no_target'`` in its ``meta_keys`` hands it to
    the model and the metric); ``instances`` holds one box per target (x1 y1
    x2 y2, label 0), none for a no-target ref, for referring detection.

    Args:
        ann_file (str): COCO ``instances.json`` (relative to ``data_root``).
        split_file (str): ``grefs(unc).json``.
        split (str): train, val, testA or testB.
        mode (str): ``train``, ``test`` or ``val_first``.
        data_prefix (dict): ``img_path``: the image folder (``train2014/``).
        **kwargs: mmengine ``BaseDataset`` arguments.

    Raises:
        DatasetError: a ref whose ``ann_id`` names an annotation (or whose
            ``image_id`` an image) missing from ``ann_file``, naming the ref
            and both files; a ref listing ``-1`` together with targets.
    """

    def __init__(self, ann_file: str = 'grefcoco/instances.json',
                 split_file: str = 'grefcoco/grefs(unc).json', split: str = 'train',
                 data_prefix: dict = dict(img_path='train2014/'), **kwargs):
        super().__init__(ann_file=ann_file, split_file=split_file, split=split,
                         data_prefix=data_prefix, **kwargs)

    def load_objects(self) -> List[dict]:
        for path, what in ((self.ann_file, 'annotation file'), (self.split_file, 'grefs file')):
            require_file(path, what, f'put the gRefCOCO release under data_root '
                         f'({self.data_root!r}) or check it with '
                         f'tools/dataset_converters/check_refcoco_layout.py')
        refs = load_json(self.split_file)
        if not isinstance(refs, list):
            raise DatasetError(f'{self.split_file} is not a gRefCOCO refs file (it must hold a '
                               f'JSON list of refs)')
        refs = refs_in_split(refs, self.split)
        if not refs:
            raise DatasetError(f'{self.split_file} has no refs in split {self.split!r}')
        annotations, images = self.load_instances()
        return [self._object(ref, annotations, images) for ref in refs]

    def _object(self, ref: dict, annotations: dict, images: dict) -> dict:
        source = f'{osp.basename(self.split_file)} ref {ref["ref_id"]}'
        image = images.get(ref['image_id'])
        if image is None:
            raise DatasetError(f'{source}: image id {ref["image_id"]} is not in {self.ann_file}; '
                               f'the grefs and instances files must come from the same release')
        targets = []
        for ann_id in target_ids(ref, source):
            if ann_id not in annotations:
                raise DatasetError(f'{source}: annotation id {ann_id} is not in {self.ann_file}; '
                                   f'the grefs and instances files must come from the same '
                                   f'release')
            targets.append(annotations[ann_id])
        height, width = image['height'], image['width']
        boxes = [dict(bbox=[x, y, x + w, y + h], bbox_label=0, ignore_flag=0)
                 for x, y, w, h in (ann['bbox'] for ann in targets)]
        return dict(
            img_path=join_path(self.data_prefix['img_path'], image['file_name']),
            height=height, width=width, img_id=image['id'], ref_id=ref['ref_id'],
            ann_ids=[ann['id'] for ann in targets], no_target=not targets,
            mask=union_mask([ann['segmentation'] for ann in targets], height, width),
            instances=boxes, sentences=[sentence['sent'].strip() for sentence in ref['sentences']],
            source=source)

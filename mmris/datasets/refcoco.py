"""RefCOCO, RefCOCO+ and RefCOCOg read from the original refer release.

Files, as mmdet's refcoco configs lay them out under ``data_root``::

    train2014/COCO_train2014_*.jpg      COCO train2014 images
    refcoco/instances.json              COCO annotations of the refer images
    refcoco/refs(unc).p                 refs: ref_id, ann_id, image_id, split, sentences

(``refcoco+/refs(unc).p``, ``refcocog/refs(umd).p``, ``refcocog/refs(google).p``
likewise.) No LMDB or conversion step: masks are decoded from the COCO
segmentation (polygons or RLE) by ``LoadRISAnnotations``.
"""
import os.path as osp
import pickle
from typing import Dict, List, Tuple

from mmengine.fileio import join_path

from mmris.checkpoint.restricted_unpickler import load_plain_data
from mmris.registry import DATASETS
from mmris.utils.errors import DatasetError

from .base_ris_dataset import BaseRISDataset, load_json, require_file


def load_refs(path: str) -> List[dict]:
    """The refs list of a ``refs(*).p`` file, read without running code."""
    with open(path, 'rb') as f:
        try:
            return load_plain_data(f, f'refs file {path}')
        except pickle.UnpicklingError as error:
            raise DatasetError(str(error)) from error


def refs_in_split(refs: List[dict], split: str) -> List[dict]:
    """The refs of ``split`` with the refer toolkit's rules: ``testA`` /
    ``testB`` / ``testC`` match any split containing the letter's test
    (``testAB`` too), ``test`` every test split, others exactly."""
    if split in ('testA', 'testB', 'testC'):
        return [ref for ref in refs if ref['split'].startswith('test') and split[-1] in ref['split']]
    if split == 'test':
        return [ref for ref in refs if 'test' in ref['split']]
    return [ref for ref in refs if ref['split'] == split]


@DATASETS.register_module()
class RefCOCODataset(BaseRISDataset):
    """One of the RefCOCO family, one split, in one of the RIS modes.

    Expressions are the refer release's ``sent`` field (lower-cased,
    tokenised text), as the reference uses. Each entry also holds the
    object's COCO box (where its annotation has one, as COCO's always do) as
    mmdet's ``instances`` (one box, x1 y1 x2 y2, label 0), which mmdet's
    ``LoadAnnotations`` reads for referring detection, and ``no_target``
    False: every ref names one object (so in training mixed with gRefCOCO,
    a no-target head never takes an object lost to resizing for "nothing").

    Args:
        ann_file (str): COCO ``instances.json`` (relative to ``data_root``).
        split_file (str): ``refs(unc).p``, ``refs(umd).p`` or ``refs(google).p``.
        split (str): train, val, testA, testB or test.
        mode (str): ``train``, ``test`` or ``val_first`` (see
            :class:`BaseRISDataset`).
        data_prefix (dict): ``img_path``: the image folder (``train2014/``).
        **kwargs: mmengine ``BaseDataset`` arguments (``data_root``,
            ``pipeline``, ...).
    """

    def __init__(self, ann_file: str, split_file: str, split: str = 'train',
                 data_prefix: dict = dict(img_path='train2014/'), **kwargs):
        self.split_file = split_file
        self.split = split
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _join_prefix(self):
        if self.data_root and not osp.isabs(self.split_file):
            self.split_file = join_path(self.data_root, self.split_file)
        super()._join_prefix()

    def load_instances(self) -> Tuple[Dict[int, dict], Dict[int, dict]]:
        """``ann_file``'s annotations and images, each by id.

        Raises:
            DatasetError: ``ann_file`` is not a COCO instances file.
        """
        instances = load_json(self.ann_file)
        if not isinstance(instances, dict) or not {'images', 'annotations'} <= set(instances):
            raise DatasetError(f'{self.ann_file} is not a COCO instances file (it needs '
                               f'"images" and "annotations" lists)')
        return ({ann['id']: ann for ann in instances['annotations']},
                {img['id']: img for img in instances['images']})

    def load_objects(self) -> List[dict]:
        for path, what in ((self.ann_file, 'annotation file'), (self.split_file, 'refs file')):
            require_file(path, what, f'put the refer release under data_root '
                         f'({self.data_root!r}) or check it with '
                         f'tools/dataset_converters/check_refcoco_layout.py')
        refs = refs_in_split(load_refs(self.split_file), self.split)
        if not refs:
            raise DatasetError(f'{self.split_file} has no refs in split {self.split!r}')
        annotations, images = self.load_instances()
        objects = []
        for ref in refs:
            source = f'{osp.basename(self.split_file)} ref {ref["ref_id"]}'
            ann = annotations.get(ref['ann_id'])
            if ann is None:
                raise DatasetError(f'{source}: annotation id {ref["ann_id"]} is not in '
                                   f'{self.ann_file}; the refs and instances files must come '
                                   f'from the same release')
            image = images.get(ref['image_id'])
            if image is None:
                raise DatasetError(f'{source}: image id {ref["image_id"]} is not in '
                                   f'{self.ann_file}; the refs and instances files must come '
                                   f'from the same release')
            obj = dict(
                img_path=join_path(self.data_prefix['img_path'], image['file_name']),
                height=image['height'], width=image['width'], img_id=image['id'],
                ann_id=ann['id'], ref_id=ref['ref_id'], mask=ann['segmentation'],
                sentences=[sentence['sent'].strip() for sentence in ref['sentences']],
                source=source, no_target=False)
            if 'bbox' in ann:
                x, y, w, h = ann['bbox']
                obj['instances'] = [dict(bbox=[x, y, x + w, y + h], bbox_label=0, ignore_flag=0)]
            objects.append(obj)
        return objects

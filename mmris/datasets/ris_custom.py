"""Referring segmentation data of your own, in one JSON file.

The file is an mmengine annotation file::

    {
      "metainfo": {"dataset_name": "my_data"},
      "data_list": [
        {"img_path": "images/0001.jpg",
         "mask": "masks/0001.png",
         "expressions": ["the man in red", "the man on the left"]},
        {"img_path": "images/0002.jpg",
         "mask": {"size": [480, 640], "counts": "<COCO RLE string>"},
         "expressions": ["the white cup"]},
        {"img_path": "images/0003.jpg",
         "mask": [[10, 10, 60, 12, 35, 50]],
         "expressions": ["the triangle"]}
      ]
    }

``img_path`` is relative to ``data_prefix['img_path']`` and a PNG ``mask``
to ``data_prefix['mask_path']`` (both under ``data_root``); any non-zero
PNG pixel is foreground. A mask may also be a COCO RLE or a list of polygons
``[x1, y1, x2, y2, ...]`` in pixels. ``tools/dataset_converters/
reference_to_custom_json.py`` writes this file from the reference ETRIS
layout (``anns/<name>/<split>.json`` + ``masks/<name>/<id>.png``).
"""
import os.path as osp
from typing import List

from mmengine.fileio import join_path

from mmris.registry import DATASETS
from mmris.utils.errors import DatasetError

from .base_ris_dataset import BaseRISDataset, load_json, require_file


@DATASETS.register_module()
class RISCustomDataset(BaseRISDataset):
    """RIS data from a JSON file in the format above.

    Args:
        ann_file (str): The JSON file (relative to ``data_root``).
        mode (str): ``train``, ``test`` or ``val_first``.
        data_prefix (dict): ``img_path`` and ``mask_path`` folders.
        **kwargs: mmengine ``BaseDataset`` arguments.
    """

    def __init__(self, ann_file: str, data_prefix: dict = dict(img_path='', mask_path=''),
                 **kwargs):
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def load_objects(self) -> List[dict]:
        require_file(self.ann_file, 'annotation file',
                     'pass the JSON file described in mmris/datasets/ris_custom.py as ann_file')
        document = load_json(self.ann_file)
        if not isinstance(document, dict) or not isinstance(document.get('data_list'), list):
            raise DatasetError(f'{self.ann_file} is not an mmris RIS JSON file (a "data_list" '
                               f'of samples)')
        data_list = document['data_list']
        objects = []
        for index, item in enumerate(data_list):
            source = f'{osp.basename(self.ann_file)} data_list[{index}]'
            missing = [key for key in ('img_path', 'mask', 'expressions') if key not in item]
            if missing:
                raise DatasetError(f'{source} lacks {missing}')
            mask = item['mask']
            if isinstance(mask, str):
                mask = join_path(self.data_prefix.get('mask_path', ''), mask)
            objects.append(dict(
                img_path=join_path(self.data_prefix.get('img_path', ''), item['img_path']),
                mask=mask, sentences=list(item['expressions']), source=source,
                **{key: item[key] for key in ('height', 'width', 'ref_id') if key in item}))
        return objects

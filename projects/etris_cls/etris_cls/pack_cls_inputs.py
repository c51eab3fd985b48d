"""Packing a classification sample into model inputs and a data sample."""
import torch
from mmengine.structures import BaseDataElement
from mmseg.datasets.transforms import PackSegInputs

from mmris.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackClsInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` for a labelled image.

    Required keys: ``img`` (H, W, C) and ``gt_label`` (int). Packs ``inputs``
    (C, H, W) and ``data_samples``, a :class:`BaseDataElement` with the image
    metainfo (``meta_keys``) and ``gt_label``, a LongTensor of shape (1, ),
    as mmpretrain's data samples hold it.
    """

    def __init__(self, meta_keys=('img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                                  'flip_direction')):
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        if 'gt_label' not in results:
            raise KeyError(f"PackClsInputs needs results['gt_label'] (the class index) for "
                           f"{results.get('img_path', 'an image')}")
        packed = super().transform(results)
        packed['data_samples'] = BaseDataElement(
            metainfo=packed['data_samples'].metainfo,
            gt_label=torch.tensor([results['gt_label']], dtype=torch.long))
        return packed

"""Packing a referring sample into model inputs and a SegDataSample."""
import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from mmseg.datasets.transforms import PackSegInputs

from mmris.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackRISInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` that also packs the expression and the
    letterbox matrices into the metainfo and keeps a float mask float.

    Required keys: ``img``, ``text`` (str). Optional: ``gt_seg_map`` (H, W),
    packed as ``gt_sem_seg`` (1, H, W), float32 when it is a float array;
    ``gt_bboxes`` (N, 4) (mmdet's ``LoadAnnotations`` with ``box_type=None``),
    packed as ``gt_instances.bboxes`` for box metrics.
    """

    def __init__(self, meta_keys=('img_path', 'ori_shape', 'img_shape', 'pad_shape',
                                  'scale_factor', 'flip', 'flip_direction', 'text',
                                  'affine_matrix', 'inverse_affine_matrix')):
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        if not isinstance(results.get('text'), str):
            raise KeyError(f"PackRISInputs needs the expression as results['text'] (a str); "
                           f"got {results.get('text')!r} for {results.get('img_path', 'an image')}")
        results = dict(results)
        mask = results.pop('gt_seg_map', None)
        boxes = results.pop('gt_bboxes', None)
        packed = super().transform(results)
        if boxes is not None:
            packed['data_samples'].gt_instances = InstanceData(
                bboxes=torch.as_tensor(np.asarray(boxes, np.float32)).reshape(-1, 4))
        if mask is not None:
            dtype = np.float32 if np.issubdtype(mask.dtype, np.floating) else np.int64
            packed['data_samples'].gt_sem_seg = PixelData(
                data=torch.from_numpy(np.ascontiguousarray(mask[None], dtype=dtype)))
        return packed

"""Loading the referred object's mask."""
import mmcv
import numpy as np
import pycocotools.mask as mask_utils
from mmcv.transforms import BaseTransform
from mmengine.fileio import get

from mmris.registry import TRANSFORMS


def decode_mask(mask, height: int, width: int) -> np.ndarray:
    """A COCO segmentation (polygon list, RLE with list or string counts)
    or a PNG path -> (height, width) uint8 mask of 0/1."""
    if isinstance(mask, str):
        image = mmcv.imfrombytes(get(mask), flag='unchanged')
        if image is None:
            raise ValueError(f'mask {mask} is not a readable image')
        image = image if image.ndim == 2 else image.max(axis=2)
        if image.shape != (height, width):
            raise ValueError(f'mask {mask} is {image.shape[1]}x{image.shape[0]} but the image '
                             f'is {width}x{height}')
        return (image > 0).astype(np.uint8)
    if isinstance(mask, list):  # polygons
        rle = mask_utils.merge(mask_utils.frPyObjects(mask, height, width))
    elif isinstance(mask, dict) and isinstance(mask.get('counts'), list):  # uncompressed RLE
        rle = mask_utils.frPyObjects(mask, height, width)
    elif isinstance(mask, dict) and 'counts' in mask:
        counts = mask['counts']
        rle = dict(mask, counts=counts.encode() if isinstance(counts, str) else counts)
    else:
        raise ValueError(f'unknown mask format {type(mask).__name__}: expected polygons, '
                         'an RLE dict or a PNG path')
    return mask_utils.decode(rle).astype(np.uint8)


@TRANSFORMS.register_module()
class LoadRISAnnotations(BaseTransform):
    """Decode ``results['mask']`` into ``gt_seg_map`` (H, W) uint8 0/1 at
    the loaded image's size (``ori_shape``).

    Required keys: ``mask``, ``ori_shape``. Added keys: ``gt_seg_map``,
    ``seg_fields``.
    """

    def transform(self, results: dict) -> dict:
        height, width = results['ori_shape'][:2]
        results['gt_seg_map'] = decode_mask(results['mask'], height, width)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results

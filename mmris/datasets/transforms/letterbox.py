"""The reference's letterbox: an affine warp that fits the image in a square."""
from typing import Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmris.registry import TRANSFORMS

#: CLIP's normalisation mean in RGB, on the 0-255 scale.
CLIP_MEAN_RGB = (0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255)


def letterbox_matrices(ori_shape: Tuple[int, int], size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Forward and inverse 2x3 affine matrices that scale an image of
    ``ori_shape`` (h, w) by ``min(size / h, size / w)`` and centre it in a
    ``size`` x ``size`` square (computed from float32 corner points, as the
    reference does)."""
    h, w = ori_shape
    scale = min(size / h, size / w)
    new_h, new_w = h * scale, w * scale
    dx, dy = (size - new_w) / 2., (size - new_h) / 2.
    src = np.array([[0, 0], [w, 0], [0, h]], np.float32)
    dst = np.array([[dx, dy], [new_w + dx, dy], [dx, new_h + dy]], np.float32)
    return cv2.getAffineTransform(src, dst), cv2.getAffineTransform(dst, src)


@TRANSFORMS.register_module()
class RISLetterbox(BaseTransform):
    """Letterbox ``img`` (and ``gt_seg_map``) into ``size`` x ``size``.

    The image is warped bicubically with the border filled by CLIP's mean
    colour; a mask (any non-zero value is foreground) is scaled to 0/255,
    warped bilinearly and divided by 255, giving a float32 mask in [0, 1] as
    the reference trains on. The forward and inverse matrices are kept as
    ``affine_matrix`` and ``inverse_affine_matrix`` (2x3) so predictions can
    be warped back to ``ori_shape``.

    With ``warp_mask=False`` (test pipelines) the mask stays at the original
    size, where the reference measures IoU.

    Required keys: ``img`` (H, W, 3), ``ori_shape``. Optional: ``gt_seg_map``.
    Modified keys: ``img``, ``img_shape``, ``gt_seg_map``. Added keys:
    ``affine_matrix``, ``inverse_affine_matrix``.

    Args:
        size (int): Output side (416).
        fill_rgb (Sequence[float]): Border colour, RGB.
        channel_order (str): Channel order of ``img``: 'bgr' (mmcv's default
            loading) or 'rgb'.
        warp_mask (bool): Letterbox ``gt_seg_map`` too (training).
    """

    def __init__(self, size: int = 416, fill_rgb: Sequence[float] = CLIP_MEAN_RGB,
                 channel_order: str = 'bgr', warp_mask: bool = True):
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
        self.size = size
        self.fill = tuple(fill_rgb[::-1] if channel_order == 'bgr' else fill_rgb)
        self.channel_order = channel_order
        self.warp_mask = warp_mask

    def transform(self, results: dict) -> dict:
        img = results['img']
        matrix, inverse = letterbox_matrices(img.shape[:2], self.size)
        dsize = (self.size, self.size)
        results['img'] = cv2.warpAffine(img, matrix, dsize, flags=cv2.INTER_CUBIC,
                                        borderValue=self.fill)
        if self.warp_mask and results.get('gt_seg_map') is not None:
            mask = (results['gt_seg_map'] > 0).astype(np.uint8) * 255
            mask = cv2.warpAffine(mask, matrix, dsize, flags=cv2.INTER_LINEAR, borderValue=0)
            results['gt_seg_map'] = (mask / 255.).astype(np.float32)
        results['img_shape'] = dsize
        results['affine_matrix'] = matrix
        results['inverse_affine_matrix'] = inverse
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, channel_order={self.channel_order!r}, '
                f'warp_mask={self.warp_mask})')

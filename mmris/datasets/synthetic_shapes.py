"""The reader of the generated shapes set (semantic segmentation).

A small, download-free semantic segmentation set for the demo job and the
tests. :func:`mmris.synthetic.generate_synthetic_shapes` writes it in
mmseg's usual layout::

    root/img_dir/{train,val}/00000.png     RGB image (H, W, 3)
    root/ann_dir/{train,val}/00000.png     label map (H, W), values 0..3

and :class:`SyntheticShapesDataset` reads it like any mmseg dataset.
"""
from mmseg.datasets import BaseSegDataset

from mmris.registry import DATASETS

CLASSES = ('background', 'circle', 'square', 'triangle')
PALETTE = [[0, 0, 0], [220, 20, 60], [0, 128, 255], [255, 200, 0]]


@DATASETS.register_module()
class SyntheticShapesDataset(BaseSegDataset):
    """The synthetic shapes set: background, circle, square, triangle."""

    METAINFO = dict(classes=CLASSES, palette=PALETTE)

    def __init__(self, img_suffix: str = '.png', seg_map_suffix: str = '.png', **kwargs):
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=False, **kwargs)

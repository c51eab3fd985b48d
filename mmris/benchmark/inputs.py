"""Random inputs a benchmark runs a model on: an image batch and, per image,
a data sample with a referring expression and a ground truth."""
import random
from typing import List, Tuple

import numpy as np
import torch

from mmris.utils import UsageError

# Words that make plausible RefCOCO-style expressions; each is one BPE token.
_WORDS = ('man', 'woman', 'left', 'right', 'red', 'shirt', 'the', 'on', 'in', 'blue', 'car',
          'dog', 'bottom', 'top', 'middle', 'person', 'with', 'hat', 'white', 'black', 'chair',
          'behind', 'small', 'large', 'near', 'umbrella', 'guy', 'girl', 'green', 'table')


def random_expressions(count: int, seed: int = 0) -> List[str]:
    """``count`` random expressions of 2 to 8 common words."""
    rng = random.Random(seed)
    return [' '.join(rng.choice(_WORDS) for _ in range(rng.randint(2, 8))) for _ in range(count)]


def detection_sample(text: str, shape: Tuple[int, int], num_classes: int, with_mask: bool,
                     generator: torch.Generator, num_boxes: int = 3):
    """A DetDataSample for an image of ``shape`` (H, W) with ``text`` as
    ``metainfo['text']`` and ``num_boxes`` random ground-truth boxes
    (x1, y1, x2, y2; sides of 1/8 to 1/2 of the image) with labels below
    ``num_classes``, and box-filled masks (num_boxes, H, W) if ``with_mask``."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    height, width = shape
    size = torch.tensor([width, height], dtype=torch.float32)
    corner = torch.rand(num_boxes, 2, generator=generator) * size / 2
    sides = (torch.rand(num_boxes, 2, generator=generator) * 3 + 1) * size / 8
    boxes = torch.cat([corner, corner + sides], dim=1)
    instances = InstanceData(bboxes=boxes,
                             labels=torch.randint(0, num_classes, (num_boxes, ),
                                                  generator=generator))
    if with_mask:
        masks = np.zeros((num_boxes, height, width), dtype=np.uint8)
        for mask, (x1, y1, x2, y2) in zip(masks, boxes.round().int().tolist(), strict=True):
            mask[y1:y2, x1:x2] = 1
        instances.masks = BitmapMasks(masks, height, width)
    return DetDataSample(
        metainfo=dict(text=text, img_shape=shape, ori_shape=shape, pad_shape=shape,
                      batch_input_shape=shape, scale_factor=(1., 1.)),
        gt_instances=instances)


def make_inputs(model: torch.nn.Module, batch_size: int, height: int, width: int,
                device: str, seed: int = 0) -> Tuple[torch.Tensor, list]:
    """A random normalised image batch (B, 3, H, W) and one data sample per
    image with a random expression as ``metainfo['text']`` and a random
    ground truth: for an mmdet detector, :func:`detection_sample`'s boxes
    with labels below its head's ``num_classes``; otherwise ``gt_sem_seg``
    (1, H, W), labels below ``model.num_classes`` for a model with classes,
    else a binary mask.

    Raises:
        UsageError: the expressions do not fit the model's text length.
    """
    from mmdet.models.detectors import BaseDetector
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(batch_size, 3, height, width, generator=generator).to(device)
    texts = random_expressions(batch_size, seed)
    backbone = getattr(model, 'backbone', None)
    if hasattr(backbone, 'tokenize'):  # make sure every expression fits untruncated
        ids = backbone.tokenize(texts)
        if (~backbone.text_encoder.padding_mask(ids)).sum(dim=1).max() >= ids.shape[1]:
            raise UsageError(f'the random expressions do not fit the {ids.shape[1]} text tokens '
                             f'of this model')
    shape = (height, width)
    if isinstance(model, BaseDetector):
        roi_head = getattr(model, 'roi_head', None)
        head = model.bbox_head if roi_head is None else roi_head.bbox_head
        with_mask = roi_head is not None and roi_head.with_mask
        return images, [detection_sample(text, shape, head.num_classes, with_mask,
                                         generator).to(device) for text in texts]
    num_classes = getattr(model, 'num_classes', None)
    samples = []
    for text in texts:
        if num_classes:
            truth = torch.randint(0, num_classes, (1, *shape), generator=generator)
        else:
            truth = (torch.rand(1, *shape, generator=generator) > 0.5).float()
        samples.append(SegDataSample(
            metainfo=dict(text=text, img_shape=shape, ori_shape=shape, pad_shape=shape),
            gt_sem_seg=PixelData(data=truth.to(device))))
    return images, samples

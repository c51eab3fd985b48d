"""Box accuracy of referring predictions (referring detection's Acc@0.5).

Every data sample is one (image, expression) pair whose ground truth is the
referred object's box. The predicted box is

- the best-scoring box of ``pred_instances`` for a referring detector, or
- the bounding box of the predicted mask ``pred_sem_seg`` for a referring
  segmentation model (ETRIS), the baseline a detector has to beat;

no box (no instance, an empty mask) counts as IoU 0. Over the ``N``
samples, in percent:

- ``Acc@t = 100 * #{k : IoU_k >= t} / N`` for each threshold ``t``
  (``Acc@0.5`` is what referring detection papers report; mmdet's
  ``RefExpMetric`` computes it on MDETR's annotation files, not on the
  refer release that mmris reads);
- ``mIoU = 100 * mean_k IoU_k``, the mean box IoU.

Boxes are (x1, y1, x2, y2) in pixels at the original image size, with
pixel edges as coordinates: a mask covering columns ``a..b`` spans
``x1 = a, x2 = b + 1``, as COCO's box of that mask.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.evaluator import BaseMetric

from mmris.registry import METRICS


def _tensor(boxes) -> torch.Tensor:
    """mmdet's box objects or a tensor -> (N, 4) float tensor."""
    return getattr(boxes, 'tensor', boxes).float().reshape(-1, 4).cpu()


def mask_box(mask: torch.Tensor) -> Optional[torch.Tensor]:
    """The bounding box (4, ) of the foreground (> 0) of an (H, W) or
    (1, H, W) mask, or None for an empty mask."""
    rows, cols = torch.nonzero(mask.reshape(mask.shape[-2:]) > 0, as_tuple=True)
    if len(rows) == 0:
        return None
    return torch.stack([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]).float()


def predicted_box(sample: dict) -> Optional[torch.Tensor]:
    """The sample's predicted box (4, ), or None; see the module doc."""
    if 'pred_instances' in sample:
        instances = sample['pred_instances']
        if len(instances['scores']) == 0:
            return None
        return _tensor(instances['bboxes'])[int(instances['scores'].argmax())]
    if 'pred_sem_seg' in sample:
        return mask_box(sample['pred_sem_seg']['data'].cpu())
    raise KeyError('RefBoxMetric needs pred_instances (a detector) or pred_sem_seg (a '
                   'segmentation model) in each data sample')


@METRICS.register_module()
class RefBoxMetric(BaseMetric):
    """Acc@t and mean box IoU of one predicted box per expression.

    Each data sample needs ``gt_instances.bboxes`` (1, 4): the referred
    object's box at the original image size (mmdet's ``LoadAnnotations``
    after the resize in a test pipeline, packed by ``PackDetInputs`` or
    ``PackRISInputs``). See the module doc for the prediction.

    The results are named ``box/Acc@0.5``, ``box/mIoU``, ..., so that they
    can sit beside :class:`RISMetric`'s in one evaluator.

    Args:
        iou_thrs (Sequence[float]): Thresholds ``t`` of ``Acc@t``.
        **kwargs: mmengine ``BaseMetric`` arguments (``collect_device``,
            ``prefix``).
    """

    default_prefix = 'box'

    def __init__(self, iou_thrs: Sequence[float] = (0.5, ), **kwargs):
        super().__init__(**kwargs)
        self.iou_thrs = tuple(iou_thrs)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gt = sample.get('gt_instances', {}).get('bboxes')
            if gt is None or len(_tensor(gt)) != 1:
                raise ValueError(f'RefBoxMetric needs the one referred box as gt_instances.bboxes '
                                 f'in each data sample ({sample.get("img_path")}, '
                                 f'{sample.get("text")!r}): load it with LoadAnnotations '
                                 f'(with_bbox=True) in the test pipeline')
            box = predicted_box(sample)
            iou = 0. if box is None else float(bbox_overlaps(box[None], _tensor(gt))[0, 0])
            self.results.append(iou)

    def compute_metrics(self, results: List[float]) -> Dict[str, float]:
        ious = torch.tensor(results, dtype=torch.float64)
        metrics = {f'Acc@{t}': 100 * float((ious >= t).double().mean()) for t in self.iou_thrs}
        metrics['mIoU'] = 100 * float(ious.mean())
        return metrics

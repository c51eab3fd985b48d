"""The referring image segmentation metric of ETRIS (and most RIS papers).

Every data sample is one (image, expression) pair with a binary prediction
and a binary ground truth at the original image size. For sample ``k`` let
``I_k`` and ``U_k`` be the pixel counts of the intersection and the union of
prediction and ground truth, and ``IoU_k = I_k / U_k`` (0 when ``U_k == 0``,
which is what ETRIS' ``I / (U + 1e-6)`` and mmdet's ``nan -> 0`` give). Over
the ``N`` samples of the data set, in percent:

- ``mIoU = 100 * mean_k IoU_k``: the "IoU" of the ETRIS papers;
- ``oIoU = 100 * sum_k I_k / sum_k U_k``: the overall (cumulative) IoU, also
  called cIoU (0 when every union is empty);
- ``Prec@t = 100 * #{k : IoU_k > t} / N`` for each threshold ``t`` (strictly
  greater, as in ETRIS).
"""
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from PIL import Image

from mmris.registry import METRICS

try:
    from prettytable import PrettyTable
except ImportError:  # pragma: no cover - prettytable comes with mmseg
    PrettyTable = None


def foreground(mask: torch.Tensor) -> torch.Tensor:
    """The boolean foreground of a mask: ``mask > 0.5`` for a floating-point
    mask (a soft or [0, 1] mask), ``mask > 0`` for an integer or boolean one
    (0/1 or 0/255 labels)."""
    if mask.is_floating_point():
        return mask > 0.5
    return mask > 0


def sample_masks(sample, metric: str) -> Tuple[dict, torch.Tensor, torch.Tensor]:
    """A data sample (a ``SegDataSample`` or its dict) as a dict, with its
    boolean prediction and ground truth (H, W) on one device; ``metric``
    names the caller in the error when a mask is missing or the two differ
    in shape."""
    if isinstance(sample, BaseDataElement):
        sample = sample.to_dict()
    if 'pred_sem_seg' not in sample or 'gt_sem_seg' not in sample:
        raise KeyError(f'{metric} needs pred_sem_seg and gt_sem_seg in each data sample, '
                       f'got the keys {sorted(sample)}')
    pred = foreground(sample['pred_sem_seg']['data'])
    gt = foreground(sample['gt_sem_seg']['data']).to(pred.device)
    if pred.shape != gt.shape:
        raise ValueError(f'{metric}: prediction {tuple(pred.shape)} and ground truth '
                         f'{tuple(gt.shape)} differ in shape for '
                         f"{sample.get('img_path', 'a sample')}; both must be at the "
                         'original image size')
    return sample, pred, gt


def intersection_and_union(pred, gt) -> Tuple[int, int]:
    """Pixel counts of the intersection and the union of two boolean masks
    (tensors or arrays) of one shape."""
    return int((pred & gt).sum()), int((pred | gt).sum())


def iou_from_counts(intersection: int, union: int) -> float:
    """``intersection / union``, 0 when the union is empty (``IoU_k`` of the
    module docstring)."""
    return intersection / union if union else 0.0


def mask_iou(pred, gt) -> float:
    """IoU in [0, 1] of two boolean masks of one shape; 0 when both are empty."""
    return iou_from_counts(*intersection_and_union(pred, gt))


def sanitise_text(text: Optional[str], max_len: int = 60) -> str:
    """``text`` reduced to a safe file name part: runs of characters other
    than ASCII letters and digits become ``_``, at most ``max_len`` long."""
    cleaned = re.sub(r'[^A-Za-z0-9]+', '_', text or '').strip('_')
    return cleaned[:max_len].rstrip('_') or 'mask'


@METRICS.register_module()
class RISMetric(BaseMetric):
    """mIoU, oIoU and Prec@t of binary referring segmentations.

    ``process`` keeps one entry per data sample (its intersection, union and
    IoU), so mmengine's ``collect_results`` gathers them from every rank in
    data set order and drops the samples a distributed sampler padded with;
    the metrics (see the module docstring) are computed from these entries.

    Each data sample (a ``SegDataSample`` or its ``to_dict()``) needs
    ``pred_sem_seg.data`` and ``gt_sem_seg.data`` of the same shape, e.g.
    (1, H, W) at the original image size. Foreground is ``> 0`` in an integer
    or boolean mask and ``> 0.5`` in a floating-point one (see
    :func:`foreground`).

    Args:
        thresholds (Sequence[float]): The IoU thresholds ``t`` of the
            ``Prec@t`` metrics. Defaults to (0.5, 0.6, 0.7, 0.8, 0.9).
        output_dir (str, optional): When given, every process writes each
            prediction as ``<output_dir>/masks/<index>_<text>.png`` (0/255),
            where ``<index> = counter * world_size + rank`` (``counter``
            counts this process' samples since the last evaluation), unique
            across processes and, with mmengine's ``DefaultSampler``
            (``shuffle=False``), the sample's index in the data set; a
            sampler's padding samples get files too, past the data set's
            end. The main process writes ``<output_dir>/per_sample.json``: a
            list, in data set order, of ``{img_path, text, intersection,
            union, iou, mask}`` (``img_path`` and ``text`` from the sample's
            metainfo, None when absent; ``mask`` is the PNG's file name).
            Defaults to None.
        collect_device (str): Device used to gather the results of the ranks,
            'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None,
            so they read ``mIoU``, ``oIoU``, ``Prec@0.5``, ...
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9),
                 output_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        thresholds = tuple(float(t) for t in thresholds)
        if not all(0.0 <= t <= 1.0 for t in thresholds):
            raise ValueError(f'RISMetric thresholds must lie in [0, 1], got {thresholds}')
        self.thresholds = thresholds
        self.output_dir = output_dir
        self._counter = 0

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Append one ``dict(intersection, union, iou)`` per data sample to
        ``self.results`` (with ``img_path``, ``text`` and ``mask`` too when
        ``output_dir`` is set) and write its prediction PNG."""
        for sample in data_samples:
            sample, pred, gt = sample_masks(sample, 'RISMetric')
            intersection, union = intersection_and_union(pred, gt)
            result = dict(intersection=intersection, union=union,
                          iou=iou_from_counts(intersection, union))
            if self.output_dir is not None:
                result.update(img_path=sample.get('img_path'), text=sample.get('text'),
                              mask=self._write_mask(pred, sample.get('text')))
            self.results.append(result)

    def _write_mask(self, pred: torch.Tensor, text: Optional[str]) -> str:
        """Save ``pred`` as a 0/255 PNG under ``output_dir/masks``; return
        its file name."""
        rank, world_size = get_dist_info()
        index = self._counter * world_size + rank
        self._counter += 1
        name = f'{index:06d}_{sanitise_text(text)}.png'
        mask_dir = osp.join(self.output_dir, 'masks')
        os.makedirs(mask_dir, exist_ok=True)
        mask = pred.reshape(pred.shape[-2:]) if pred.dim() > 2 else pred
        Image.fromarray(mask.cpu().numpy().astype(np.uint8) * 255).save(osp.join(mask_dir, name))
        return name

    def evaluate(self, size: int) -> dict:
        """BaseMetric's ``evaluate``; also restarts the PNG counter."""
        try:
            return super().evaluate(size)
        finally:
            self._counter = 0

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """mIoU, oIoU and Prec@t (percent) from the per-sample entries of
        all ranks; writes ``per_sample.json`` when ``output_dir`` is set."""
        num = len(results)
        ious = np.array([r['iou'] for r in results], dtype=np.float64)
        total_i = sum(r['intersection'] for r in results)
        total_u = sum(r['union'] for r in results)
        metrics = {
            'mIoU': float(ious.mean()) * 100 if num else 0.0,
            'oIoU': total_i / total_u * 100 if total_u > 0 else 0.0,
        }
        for t in self.thresholds:
            metrics[f'Prec@{t:g}'] = float((ious > t).mean()) * 100 if num else 0.0

        if self.output_dir is not None:
            os.makedirs(self.output_dir, exist_ok=True)
            keys = ('img_path', 'text', 'intersection', 'union', 'iou', 'mask')
            path = osp.join(self.output_dir, 'per_sample.json')
            with open(path, 'w') as f:
                json.dump([{k: r.get(k) for k in keys} for r in results], f, indent=1)
            print_log(f'RISMetric: per-sample results in {path}, masks in '
                      f"{osp.join(self.output_dir, 'masks')}", logger='current')
        self._log_table(metrics, num)
        return metrics

    @staticmethod
    def _log_table(metrics: Dict[str, float], num: int) -> None:
        names = list(metrics)
        values = [f'{metrics[n]:.2f}' for n in names]
        if PrettyTable is not None:
            table = PrettyTable()
            for name, value in zip(names, values):
                table.add_column(name, [value])
            text = table.get_string()
        else:
            text = '  '.join(f'{n}: {v}' for n, v in zip(names, values))
        print_log(f'RIS results over {num} samples:\n' + text, logger='current')

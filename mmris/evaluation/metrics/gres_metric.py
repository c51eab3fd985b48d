"""The metrics of generalized referring segmentation (GRES, gRefCOCO).

An expression may name several objects (its ground truth is their union) or
none (a *no-target* sample: empty ground truth). A prediction is *no-target*
when the model says so (``pred_no_target``, from a no-target head) or when
its mask is empty; a no-target prediction counts as an empty mask. For
sample ``k`` with intersection ``I_k`` and union ``U_k`` of prediction and
ground truth:

- a targeted sample scores ``IoU_k = I_k / U_k``;
- a no-target sample scores ``IoU_k = 1`` when the prediction is no-target,
  else 0 (and ``I_k = 0``, ``U_k`` = the predicted area).

Over the ``N`` samples, in percent (as ReLA's evaluation defines them):

- ``gIoU = 100 * mean_k IoU_k``;
- ``cIoU = 100 * sum_k I_k / sum_k U_k``;
- ``N-acc``: no-target samples predicted no-target, over all no-target samples;
- ``T-acc``: targeted samples not predicted no-target, over all targeted ones;
- ``Pr@t``: targeted samples with ``IoU_k >= t``, over all targeted ones;
- ``mIoU`` / ``oIoU``: :class:`RISMetric`'s mean and overall IoU over the
  targeted samples (on a set without no-target samples, gIoU and cIoU equal
  them).

A figure is left out where it is undefined: N-acc and T-acc where no
sample is no-target (as on RefCOCO), and T-acc, Pr@t, mIoU and oIoU where
no sample is targeted.

Worked example (docs/gres.md): three samples, a targeted one predicted with
I=3, U=4; a no-target one predicted empty; a no-target one predicted with 2
pixels. gIoU = (0.75 + 1 + 0) / 3 = 58.33, cIoU = 3 / (4 + 0 + 2) = 50,
N-acc = 50, T-acc = 100, Pr@0.7 = 100.
"""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmris.registry import METRICS

from .ris_metric import intersection_and_union, iou_from_counts, sample_masks

try:
    from prettytable import PrettyTable
except ImportError:  # pragma: no cover - prettytable comes with mmseg
    PrettyTable = None


def gres_counts(pred, gt, pred_no_target: bool, gt_no_target: bool) -> dict:
    """One sample's entry: ``intersection``, ``union``, ``iou`` (as the
    module docstring scores it) and both no-target flags, from boolean
    masks ``pred`` and ``gt`` of one shape."""
    pred_no_target = bool(pred_no_target) or not bool(pred.any())
    if gt_no_target:
        union = 0 if pred_no_target else int(pred.sum())
        return dict(intersection=0, union=union, iou=float(pred_no_target),
                    pred_no_target=pred_no_target, gt_no_target=True)
    if pred_no_target:
        intersection, union = 0, int(gt.sum())
    else:
        intersection, union = intersection_and_union(pred, gt)
    return dict(intersection=intersection, union=union, iou=iou_from_counts(intersection, union),
                pred_no_target=pred_no_target, gt_no_target=False)


def gres_scores(results: List[dict], thresholds: Sequence[float]) -> Dict[str, float]:
    """gIoU, cIoU, N-acc, T-acc, Pr@t, mIoU and oIoU (percent) of the
    entries of :func:`gres_counts`."""
    targeted = [r for r in results if not r['gt_no_target']]
    empty = [r for r in results if r['gt_no_target']]
    total_u = sum(r['union'] for r in results)
    target_u = sum(r['union'] for r in targeted)
    ious = np.array([r['iou'] for r in targeted], np.float64)
    scores = {
        'gIoU': 100 * float(np.mean([r['iou'] for r in results])) if results else 0.0,
        'cIoU': 100 * sum(r['intersection'] for r in results) / total_u if total_u else 0.0,
    }
    if empty:
        scores['N-acc'] = 100 * sum(r['pred_no_target'] for r in empty) / len(empty)
    if not targeted:
        return scores
    if empty:
        scores['T-acc'] = 100 * sum(not r['pred_no_target'] for r in targeted) / len(targeted)
    for t in thresholds:
        scores[f'Pr@{t:g}'] = 100 * float((ious >= t).mean())
    scores['mIoU'] = 100 * float(ious.mean())
    scores['oIoU'] = (100 * sum(r['intersection'] for r in targeted) / target_u
                      if target_u else 0.0)
    return scores


@METRICS.register_module()
class GRESMetric(BaseMetric):
    """gIoU, cIoU, N-acc, T-acc, Pr@t, mIoU and oIoU (see the module
    docstring), overall and per evaluation set.

    Each data sample (a ``SegDataSample`` or its ``to_dict()``) needs
    ``pred_sem_seg.data`` and ``gt_sem_seg.data`` of one shape. Optional:
    ``pred_no_target`` (bool, a no-target head's answer); ``no_target`` in
    the metainfo (the ground truth's flag; without it, an empty ground-truth
    mask is no-target); ``eval_set`` in the metainfo (e.g. ``refcoco/val``,
    set by :class:`mmris.datasets.EvalSetsDataset`). ``process`` keeps one
    entry per sample, so mmengine's ``collect_results`` gathers every rank's
    in data set order (distributed-safe, as :class:`RISMetric`).

    With more than one ``eval_set``, the metrics are also given per set as
    ``<eval_set>/<name>`` and logged as one table: set, split, samples,
    mIoU, oIoU, gIoU, cIoU, N-acc, T-acc, Pr@0.7, ``-`` where a figure is
    undefined (see the module docstring; on a set without no-target samples
    gIoU and cIoU equal mIoU and oIoU).

    Args:
        thresholds (Sequence[float]): IoU thresholds of ``Pr@t``
            (0.7, 0.8, 0.9).
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Prefix of the metric names.
    """

    default_prefix: Optional[str] = None

    def __init__(self, thresholds: Sequence[float] = (0.7, 0.8, 0.9),
                 collect_device: str = 'cpu', prefix: Optional[str] = None, **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        self.thresholds = tuple(float(t) for t in thresholds)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            sample, pred, gt = sample_masks(sample, 'GRESMetric')
            gt_no_target = sample.get('no_target')
            if gt_no_target is None:
                gt_no_target = not bool(gt.any())
            entry = gres_counts(pred, gt, bool(sample.get('pred_no_target', False)),
                                bool(gt_no_target))
            entry['eval_set'] = sample.get('eval_set')
            self.results.append(entry)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        metrics = gres_scores(results, self.thresholds)
        groups = defaultdict(list)
        for result in results:
            groups[result['eval_set']].append(result)
        rows = [('all', '', len(results), metrics)]
        if len(groups) > 1:
            for name, members in groups.items():
                scores = gres_scores(members, self.thresholds)
                metrics.update({f'{name}/{key}': value for key, value in scores.items()})
                set_name, _, split = str(name).rpartition('/')
                rows.append((set_name or name, split, len(members), scores))
        self._log_table(rows)
        return metrics

    @staticmethod
    def _log_table(rows: list) -> None:
        columns = ('mIoU', 'oIoU', 'gIoU', 'cIoU', 'N-acc', 'T-acc', 'Pr@0.7')
        header = ('set', 'split', 'samples') + columns
        lines = [[name, split, str(count)] + [f'{scores[c]:.2f}' if c in scores else '-'
                                             for c in columns]
                 for name, split, count, scores in rows]
        if PrettyTable is not None:
            table = PrettyTable(header)
            for line in lines:
                table.add_row(line)
            text = table.get_string()
        else:
            text = '\n'.join('  '.join(line) for line in [list(header)] + lines)
        print_log('GRES results:\n' + text, logger='current')

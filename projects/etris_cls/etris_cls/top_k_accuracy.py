"""Top-k classification accuracy, exact across processes."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmris.registry import METRICS


@METRICS.register_module()
class TopKAccuracy(BaseMetric):
    """The percentage of images whose label is among the k best-scored classes.

    For each image only the rank of its label is kept: the number of other
    classes scored at least as high (ties count against the label, so a
    model that scores every class alike is never right). mmengine's
    ``BaseMetric.evaluate`` gathers these per-image ranks from every process
    and drops the samples a distributed sampler repeated to even out the
    processes, so the accuracy is that of the whole data set, counted once.

    Args:
        topk (Sequence[int]): The k to report, as ``top{k}`` (percent).
        collect_device (str): 'cpu' or 'gpu', for gathering across processes.
        prefix (str, optional): Metric name prefix; 'accuracy' by default.

    Data samples need ``pred_score`` (K, ) and ``gt_label`` (1, ).
    """

    default_prefix = 'accuracy'

    def __init__(self, topk: Sequence[int] = (1, 5), collect_device: str = 'cpu',
                 prefix: str = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not topk or any(not isinstance(k, int) or k < 1 for k in topk):
            raise ValueError(f'topk={topk!r}: give positive integers, e.g. (1, 5)')
        self.topk = tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            scores, label = sample['pred_score'], int(sample['gt_label'])
            if max(self.topk) > scores.numel():
                raise ValueError(f'top-{max(self.topk)} accuracy needs at least '
                                 f'{max(self.topk)} classes, but the model scores '
                                 f'{scores.numel()}: set topk to values up to {scores.numel()}')
            if bool(torch.isnan(scores).any()):  # a diverged model ranks nothing
                self.results.append(scores.numel())
            else:
                self.results.append(int((scores >= scores[label]).sum()) - 1)

    def compute_metrics(self, results: List[int]) -> Dict[str, float]:
        return {f'top{k}': 100. * sum(rank < k for rank in results) / len(results)
                for k in self.topk}

"""Several referring evaluation splits evaluated in one test run."""
import os.path as osp
import re
from typing import List, Optional, Sequence

from mmengine.dataset import ConcatDataset

from mmris.registry import DATASETS


def referring_set_name(dataset) -> str:
    """``<folder>(<split-by>)/<split>`` of a referring data set read from a
    refer-style release (``refcocog(umd)/val``, ``grefcoco(unc)/testA``).
    A data set of one annotation file per split (``RISCustomDataset``) is
    named ``<class>/<annotation file name>`` (``RISCustomDataset/refcoco_val``)."""
    split_file = getattr(dataset, 'split_file', None)
    if not split_file:
        ann_file = getattr(dataset, 'ann_file', '') or ''
        split = getattr(dataset, 'split', None) or osp.splitext(osp.basename(ann_file))[0]
        return f'{type(dataset).__name__}/{split}'
    split_by = re.search(r'\((\w+)\)', osp.basename(split_file))
    folder = osp.basename(osp.dirname(split_file)) or type(dataset).__name__
    return f'{folder}({split_by.group(1)})/{dataset.split}' if split_by else \
        f'{folder}/{dataset.split}'


@DATASETS.register_module()
class EvalSetsDataset(ConcatDataset):
    """mmengine's ``ConcatDataset`` of evaluation splits that tags every
    sample's ``data_samples`` metainfo with ``eval_set``, the name of the
    split it comes from, so one :class:`~mmris.evaluation.GRESMetric` run
    reports every split (one table: set, split, mIoU, oIoU, gIoU, N-acc).

    mmengine's test loop runs one dataloader and one evaluator; this keeps
    that contract (one data set, one metric) instead of a loop over several.

    Args:
        datasets (list[dict | BaseDataset]): The splits.
        names (list[str], optional): Their names in the table; default
            :func:`referring_set_name` of each.
        **kwargs: ``ConcatDataset`` arguments (``lazy_init``,
            ``ignore_keys``).
    """

    def __init__(self, datasets: Sequence, names: Optional[List[str]] = None, **kwargs):
        super().__init__(datasets, **kwargs)
        if names is not None and len(names) != len(self.datasets):
            raise ValueError(f'EvalSetsDataset: {len(names)} names for {len(self.datasets)} '
                             f'data sets')
        self.names = list(names) if names is not None else [referring_set_name(d)
                                                             for d in self.datasets]
        repeated = sorted({name for name in self.names if self.names.count(name) > 1})
        if repeated:
            raise ValueError(f'EvalSetsDataset: the splits {self.names} share the names '
                             f'{repeated}, so their figures would be merged; give each a name '
                             f'of its own with names=[...]')

    def __getitem__(self, idx: int):
        dataset_idx, sample_idx = self._get_ori_dataset_idx(idx)
        results = self.datasets[dataset_idx][sample_idx]
        results['data_samples'].set_metainfo(dict(eval_set=self.names[dataset_idx]))
        return results

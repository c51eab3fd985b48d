"""Several referring training sets as one, without the evaluation images.

RefCOCO, RefCOCO+, RefCOCOg and gRefCOCO all draw on COCO train2014, each
with its own split: an image of one set's val or test split can be in
another's train split. A run that trains on the union of train splits and
evaluates on those val/test splits has seen the evaluation images. The
rule here: every training image (by file name) that appears in any of the
``held_out`` evaluation splits is dropped from every training set, with all
of its expressions.
"""
import os.path as osp
from typing import List, Sequence, Set

from mmengine.dataset import ConcatDataset
from mmengine.logging import print_log

from mmris.registry import DATASETS

from .eval_sets import referring_set_name


def image_names(dataset) -> List[str]:
    """The image file name of each entry of a (fully initialised) data set."""
    return [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset))]


def held_out_images(configs: Sequence[dict]) -> Set[str]:
    """The image file names of the evaluation data sets ``configs`` (built
    without their pipelines)."""
    names = set()
    for cfg in configs:
        dataset = DATASETS.build(dict(cfg, pipeline=[])) if isinstance(cfg, dict) else cfg
        names.update(image_names(dataset))
    return names


@DATASETS.register_module()
class LeakFreeConcatDataset(ConcatDataset):
    """mmengine's ``ConcatDataset`` of referring training sets that drops
    every image of the ``held_out`` evaluation splits (see the module
    docstring) and logs, per set, the images and expressions before and
    after (also kept as ``drop_table``: one dict per set).

    Indices may be ``(index, draw)`` pairs of
    :class:`~mmris.datasets.ExpressionSampler`; the draw goes to the set
    that holds the index.

    Args:
        datasets (list[dict | BaseDataset]): The training sets (``train``
            mode: one entry per object with all its expressions).
        held_out (list[dict]): Configs of the evaluation splits whose images
            must not be trained on (every val/test split evaluated).
        drop_leaked (bool): Apply the rule (True). False keeps every image
            and still logs how many would have been dropped.
        **kwargs: ``ConcatDataset`` arguments (``ignore_keys``).
    """

    def __init__(self, datasets: Sequence, held_out: Sequence[dict] = (),
                 drop_leaked: bool = True, **kwargs):
        built = [DATASETS.build(d) if isinstance(d, dict) else d for d in datasets]
        leaked = held_out_images(held_out)
        self.drop_table = []
        for dataset in built:
            dataset.full_init()
            names = image_names(dataset)
            keep = [i for i, name in enumerate(names) if name not in leaked]
            counts = [len(dataset.get_data_info(i)['sentences']) for i in range(len(dataset))]
            row = dict(set=referring_set_name(dataset), images=len(set(names)),
                       expressions=sum(counts),
                       images_after=len({names[i] for i in keep}),
                       expressions_after=sum(counts[i] for i in keep))
            self.drop_table.append(row)
            if drop_leaked and len(keep) < len(names):
                dataset.get_subset_(keep)
        self._log(drop_leaked)
        super().__init__(built, **kwargs)

    def _log(self, dropped: bool) -> None:
        verb = 'dropped' if dropped else 'would drop (drop_leaked=False)'
        lines = [f'{"set":28} {"images":>8} {"expressions":>12} {"images kept":>12} '
                 f'{"expr. kept":>11}']
        for row in self.drop_table:
            lines.append(f'{row["set"]:28} {row["images"]:8d} {row["expressions"]:12d} '
                         f'{row["images_after"]:12d} {row["expressions_after"]:11d}')
        print_log(f'LeakFreeConcatDataset {verb} the training images that are in an evaluation '
                  f'split:\n' + '\n'.join(lines), logger='current')

    def __getitem__(self, idx):
        idx, draw = idx if isinstance(idx, tuple) else (idx, None)
        dataset_idx, sample_idx = self._get_ori_dataset_idx(idx)
        return self.datasets[dataset_idx][sample_idx if draw is None else (sample_idx, draw)]

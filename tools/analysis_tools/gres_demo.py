"""Train and score GRES models and the trivial baselines on one test set.

    python tools/analysis_tools/gres_demo.py CONFIG [CONFIG ...] [--work-dir DIR]

Each config is trained (in its own ``DIR/<config name>``) and tested with
its ``test_evaluator`` (``GRESMetric``); the first config's test set also
scores the baselines "always empty" and "whole image". A model whose
no-target head is detached (``NoTargetHead(detach=True)``) is also tested
with the head taken out: its other weights are, bit for bit, those the same
config trains without the head (tests/test_models/test_decode_heads/
test_no_target_head.py), so that row is the model without the head, from
the same training. Prints one table: gIoU, cIoU, N-acc, T-acc, Pr@0.7 and
the wall time of each model's training and testing (`make demo-gres`,
docs/gres.md).
"""
import argparse
import os.path as osp
import time
from typing import List, Tuple

import torch
from mmengine.model import is_model_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.evaluation import score_baselines
from mmris.registry import DATASETS, RUNNERS
from mmris.utils import load_config, require_config_keys, run_cli

COLUMNS = ('gIoU', 'cIoU', 'N-acc', 'T-acc', 'Pr@0.7')


def parse_args():
    parser = argparse.ArgumentParser(description='Train GRES models and compare them with '
                                     'the trivial baselines.')
    parser.add_argument('configs', nargs='+', help='config files to train and test')
    parser.add_argument('--work-dir', default='work_dirs/demo-gres',
                        help='parent folder of the runs (default: work_dirs/demo-gres)')
    return parser.parse_args()


def train_and_test(path: str, work_dir: str) -> List[Tuple[str, dict, str]]:
    """Table rows ``(model, test metrics, wall time)`` of training and
    testing ``path``: one, and a second without the head for a model whose
    no-target head is detached."""
    name = osp.splitext(osp.basename(path))[0]
    cfg = load_config(path)
    cfg.work_dir = osp.join(work_dir, name)
    cfg.setdefault('runner_type', 'mmris.Runner')
    start = time.perf_counter()
    runner = RUNNERS.build(cfg)
    runner.train()
    rows = [(name, runner.test(), f'{(time.perf_counter() - start) / 60:.1f} min')]
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    head = getattr(model, 'no_target_head', None)
    if head is not None and head.detach:
        start = time.perf_counter()
        model.no_target_head = None
        metrics = runner.test()
        model.no_target_head = head
        rows.append((f'{name}, head taken out', metrics,
                     f'test {(time.perf_counter() - start) / 60:.1f} min'))
    return rows


def baselines(path: str) -> dict:
    """Scores of the all-empty and whole-image masks on ``path``'s test set."""
    cfg = load_config(path)
    require_config_keys(cfg, path, ('test_dataloader', 'test_evaluator'))
    init_default_scope(cfg.get('default_scope', 'mmris'))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)

    def predict(index):
        packed = dataset[index]['data_samples']
        gt = packed.gt_sem_seg
        return {name: SegDataSample(metainfo=packed.metainfo, gt_sem_seg=gt, pred_sem_seg=PixelData(
            data=torch.full(gt.shape, fill, dtype=torch.long)[None]))
            for name, fill in (('always empty', 0), ('whole image', 1))}

    return score_baselines(('always empty', 'whole image'), cfg.test_evaluator,
                           dataset.metainfo, len(dataset), predict)


def main():
    args = parse_args()
    rows = []
    for path in args.configs:
        rows.extend(train_and_test(path, args.work_dir))
    for name, metrics in baselines(args.configs[0]).items():
        rows.append((name, metrics, '-'))
    width = max(len(name) for name, _, _ in rows)
    print(f'\n| {"model":{width}} | ' + ' | '.join(COLUMNS) + ' | wall time |')
    print(f'|{"-" * (width + 2)}|' + '|'.join('-' * (len(c) + 2) for c in COLUMNS) + '|---|')
    for name, metrics, wall in rows:
        values = ' | '.join(f'{metrics.get(c, float("nan")):{len(c)}.1f}' for c in COLUMNS)
        print(f'| {name:{width}} | {values} | {wall} |')


if __name__ == '__main__':
    run_cli(main)

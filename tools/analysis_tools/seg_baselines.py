"""Scores of trivial semantic-segmentation predictions on a config's test set.

    python tools/analysis_tools/seg_baselines.py CONFIG [--grid 64]
        [--cfg-options KEY=VALUE ...]

Two baselines learn only label statistics from the training set (read with
the test pipeline, so without augmentation) and are scored by the config's
test evaluator (mmseg's ``IoUMetric``):

- majority class: every pixel gets the most frequent training class;
- location prior: every pixel gets the most frequent training class at its
  relative position (label maps resized to ``--grid`` x ``--grid``).

These are the numbers a trained model has to beat.
"""
import argparse
import copy

import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmengine.utils import ProgressBar
from mmseg.structures import SegDataSample

from mmris.evaluation import format_scores, score_baselines
from mmris.registry import DATASETS
from mmris.utils import add_cfg_options_argument, load_config, require_at_least, require_config_keys, run_cli


def parse_args():
    parser = argparse.ArgumentParser(description='Score majority-class and location-prior '
                                     'predictions on the test set.')
    parser.add_argument('config', help='config with train/test dataloaders and a test evaluator')
    parser.add_argument('--grid', type=int, default=64,
                        help='side of the grid the location prior is counted on (64)')
    add_cfg_options_argument(parser, 'test_dataloader.dataset.data_root=data/shapes')
    return parser.parse_args()


def resize_labels(labels: torch.Tensor, size) -> torch.Tensor:
    """(H, W) labels -> ``size`` by nearest neighbour."""
    return F.interpolate(labels[None, None].float(), size=size, mode='nearest')[0, 0].long()


def label_histograms(dataset, num_classes: int, grid: int, ignore_index: int) -> torch.Tensor:
    """(num_classes, grid, grid) counts of each class at each grid cell."""
    counts = torch.zeros(num_classes, grid, grid)
    progress = ProgressBar(len(dataset))
    for index in range(len(dataset)):
        labels = resize_labels(dataset[index]['data_samples'].gt_sem_seg.data[0], (grid, grid))
        valid = labels != ignore_index
        counts.view(num_classes, -1).scatter_add_(
            0, labels.clamp(max=num_classes - 1).view(1, -1),
            valid.view(1, -1).float())
        progress.update()
    print()
    return counts


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    require_config_keys(cfg, args.config,
                        ('train_dataloader', 'test_dataloader', 'test_evaluator'))
    require_at_least('--grid', args.grid, 1)
    init_default_scope(cfg.get('default_scope', 'mmris'))
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    train_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    train_cfg.pipeline = cfg.test_dataloader.dataset.pipeline
    train_set = DATASETS.build(train_cfg)
    num_classes = len(test_set.metainfo['classes'])
    ignore_index = cfg.test_evaluator.get('ignore_index', 255)
    print(f'counting the labels of {len(train_set)} training images')
    counts = label_histograms(train_set, num_classes, args.grid, ignore_index)
    majority = int(counts.sum((1, 2)).argmax())
    prior = counts.argmax(0)  # (grid, grid)
    names = ('majority class', 'location prior')

    def predict(index):
        gt = test_set[index]['data_samples'].gt_sem_seg
        labels = (torch.full(gt.shape, majority, dtype=torch.long), resize_labels(prior, gt.shape))
        return {name: SegDataSample(gt_sem_seg=gt, pred_sem_seg=PixelData(data=prediction[None])).to_dict()
                for name, prediction in zip(names, labels)}

    print(f'scoring {len(test_set)} test images')
    scores = score_baselines(names, cfg.test_evaluator, test_set.metainfo, len(test_set), predict)
    print(format_scores(scores))


if __name__ == '__main__':
    run_cli(main)

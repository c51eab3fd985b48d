"""Scores of trivial box predictions on a detection config's test set.

    python tools/analysis_tools/det_baselines.py CONFIG [--cfg-options KEY=VALUE ...]

Evaluates two baselines with the config's test evaluator (mmdet's
``CocoMetric``), the numbers a trained detector has to beat:

- whole-image: one box per class covering the whole image;
- mean-box: per class, its mean box over the training set (corners relative
  to the image size), placed in every test image.

Every box has score 1.
"""
import argparse

import numpy as np
import torch
from mmengine.registry import DATASETS, init_default_scope

from mmris.evaluation import format_scores, score_baselines
from mmris.utils import add_cfg_options_argument, load_config, require_config_keys, run_cli


def parse_args():
    parser = argparse.ArgumentParser(description='Score whole-image and mean boxes per class.')
    parser.add_argument('config', help='detection config whose datasets and test_evaluator to use')
    add_cfg_options_argument(parser, 'test_dataloader.dataset.ann_file=annotations/val.json')
    return parser.parse_args()


def mean_relative_boxes(dataset, num_classes: int) -> np.ndarray:
    """(K, 4) mean of each class's (x1, y1, x2, y2) / (w, h, w, h) over the
    annotations of ``dataset``; classes without boxes get the whole image."""
    sums, counts = np.zeros((num_classes, 4)), np.zeros(num_classes)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        scale = np.array([info['width'], info['height']] * 2, np.float64)
        for instance in info['instances']:
            sums[instance['bbox_label']] += np.asarray(instance['bbox']) / scale
            counts[instance['bbox_label']] += 1
    means = np.tile([0., 0., 1., 1.], (num_classes, 1))
    seen = counts > 0
    means[seen] = sums[seen] / counts[seen, None]
    return means


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    require_config_keys(cfg, args.config,
                        ('train_dataloader', 'test_dataloader', 'test_evaluator'))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    classes = test_set.metainfo['classes']
    relative = {'whole-image': np.tile([0., 0., 1., 1.], (len(classes), 1)),
                'mean-box': mean_relative_boxes(train_set, len(classes))}

    def predict(index):
        info = test_set.get_data_info(index)
        height, width = info['height'], info['width']
        return {name: dict(img_id=info['img_id'], ori_shape=(height, width), pred_instances=dict(
            bboxes=torch.from_numpy(boxes * [width, height, width, height]).float(),
            scores=torch.ones(len(classes)), labels=torch.arange(len(classes))))
            for name, boxes in relative.items()}

    scores = score_baselines(tuple(relative), cfg.test_evaluator, test_set.metainfo,
                             len(test_set), predict)
    print(format_scores(scores, digits=3))


if __name__ == '__main__':
    run_cli(main)

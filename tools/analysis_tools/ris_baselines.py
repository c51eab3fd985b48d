"""Scores of the trivial predictions on a config's test set.

    python tools/analysis_tools/ris_baselines.py CONFIG [--cfg-options KEY=VALUE ...]

Evaluates two baselines with the config's test evaluator (``RISMetric``):
an all-empty mask and a whole-image mask for every sample, the numbers a
trained model has to beat.
"""
import argparse

import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.evaluation import format_scores, score_baselines
from mmris.registry import DATASETS
from mmris.utils import add_cfg_options_argument, load_config, require_config_keys, run_cli


def parse_args():
    parser = argparse.ArgumentParser(description='Score all-empty and whole-image masks.')
    parser.add_argument('config', help='config file whose test_dataloader and test_evaluator to use')
    add_cfg_options_argument(parser, 'test_dataloader.dataset.split=testA')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    require_config_keys(cfg, args.config, ('test_dataloader', 'test_evaluator'))
    init_default_scope(cfg.get('default_scope', 'mmris'))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)

    def predict(index):
        gt = dataset[index]['data_samples'].gt_sem_seg
        return {name: SegDataSample(gt_sem_seg=gt, pred_sem_seg=PixelData(
            data=torch.full(gt.shape, fill, dtype=torch.long)[None]))
            for name, fill in (('all-empty', 0), ('whole-image', 1))}

    scores = score_baselines(('all-empty', 'whole-image'), cfg.test_evaluator, dataset.metainfo,
                             len(dataset), predict)
    print(format_scores(scores))


if __name__ == '__main__':
    run_cli(main)

"""The best and worst predictions of a test run, by per-sample IoU.

    python tools/analysis_tools/analyze_results.py CONFIG RESULTS.pkl --out-dir DIR
                                                   [--topk 10] [--cfg-options ...]

RESULTS.pkl is what ``tools/test.py CONFIG CKPT --out RESULTS.pkl`` dumps
(mmengine's ``DumpResults``): a list with one dict per test sample, the
``SegDataSample.to_dict()`` of the model's output, i.e. its metainfo
(``img_path``, ``text``, ``ori_shape``, ``affine_matrix``, ...) and
``{'data': tensor}`` for ``pred_sem_seg``, ``gt_sem_seg`` and
``pred_prob`` (1 x H x W, at the original image size).

For every sample the IoU of ``pred_sem_seg`` and ``gt_sem_seg`` is computed
(foreground as :func:`mmris.evaluation.metrics.ris_metric.foreground`, 0
when both are empty). The ``topk`` lowest and highest are printed and drawn
by the config's visualizer (``RISLocalVisualizer``: GT | prediction with
the expression) into ``DIR/worst.png`` and ``DIR/best.png``, one grid each;
images are read from ``img_path`` (a grey canvas when the file is gone).

Loading the pickle safely: ``DumpResults`` writes with plain ``pickle``
(``mmengine.dump(..., file_format='pkl')``), not ``torch.save``, so
``torch.load(weights_only=True)`` cannot read it (no torch header), and
``pickle.load`` would run whatever callable the file names. The file is
read by mmris' restricted unpickler instead
(:func:`mmris.evaluation.load_results`, through
:func:`mmris.checkpoint.restricted_unpickler.load_with_tensors`), which resolves
only what such a dump needs (tensors, numpy arrays, containers) and loads a
tensor's storage bytes with ``torch.load(weights_only=True)``. Any other
name is refused with an error, so nothing in the file is run.
"""
import argparse
import math
import os.path as osp
import sys
from typing import List

import cv2
import mmcv
import numpy as np
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.evaluation import load_results
from mmris.utils import (
    UsageError,
    add_cfg_options_argument,
    load_config,
    require_at_least,
    require_writable_dir,
    run_cli,
)


def sample_iou(sample: dict) -> float:
    """IoU in [0, 1] of a dumped sample's prediction and ground truth."""
    from mmris.evaluation.metrics.ris_metric import foreground, mask_iou
    pred = foreground(torch.as_tensor(sample['pred_sem_seg']['data']))
    gt = foreground(torch.as_tensor(sample['gt_sem_seg']['data']))
    if pred.shape != gt.shape:
        raise UsageError(f"sample {sample.get('img_path')!r}: prediction {tuple(pred.shape)} "
                         f'and ground truth {tuple(gt.shape)} differ in shape')
    return mask_iou(pred, gt)


def parse_args():
    parser = argparse.ArgumentParser(description='Draw the best and worst test predictions.')
    parser.add_argument('config', help='the config of the test run (for its visualizer)')
    parser.add_argument('results', help='RESULTS.pkl written by tools/test.py --out')
    parser.add_argument('--out-dir', required=True, help='folder for worst.png and best.png')
    parser.add_argument('--topk', type=int, default=10, help='samples per grid (default: 10)')
    parser.add_argument('--cell-height', type=int, default=256,
                        help='image height of each grid cell in pixels, at least 1 '
                        '(default: 256)')
    add_cfg_options_argument(parser)
    return parser.parse_args()


def build_visualizer(cfg):
    from mmris.registry import VISUALIZERS
    from mmris.visualization import RISLocalVisualizer
    vis_cfg = dict(cfg.get('visualizer') or {}, name='analyze_results', vis_backends=None,
                   save_dir=None)
    vis_cfg.setdefault('type', 'RISLocalVisualizer')
    cls = VISUALIZERS.get(vis_cfg['type'])
    if not (isinstance(cls, type) and issubclass(cls, RISLocalVisualizer)):
        vis_cfg['type'] = 'RISLocalVisualizer'
    vis_cfg.update(min_size=0)  # cells are scaled to --cell-height here
    return VISUALIZERS.build(vis_cfg)


def draw_cell(visualizer, sample: dict, title: str, height: int) -> np.ndarray:
    gt = torch.as_tensor(sample['gt_sem_seg']['data'])
    path = sample.get('img_path')
    if path and osp.isfile(path):
        image = mmcv.imread(path, channel_order='rgb')
    else:
        print(f'warning: image {path!r} not found; drawing on grey', file=sys.stderr)
        image = np.full((*gt.shape[-2:], 3), 128, np.uint8)
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    data_sample = SegDataSample(metainfo={k: sample[k] for k in ('img_path', 'text')
                                          if sample.get(k) is not None})
    data_sample.gt_sem_seg = PixelData(data=gt)
    data_sample.pred_sem_seg = PixelData(data=torch.as_tensor(sample['pred_sem_seg']['data']))
    return visualizer.draw_referring(image, data_sample, title=title)


def make_grid(cells: List[np.ndarray], gap: int = 8) -> np.ndarray:
    """``cells`` padded with white to one size and tiled, about twice as many
    rows as columns (cells are mostly two panels wide)."""
    ncols = max(1, math.ceil(math.sqrt(len(cells) / 2)))
    nrows = math.ceil(len(cells) / ncols)
    cell_h = max(c.shape[0] for c in cells)
    cell_w = max(c.shape[1] for c in cells)
    grid = np.full((nrows * cell_h + (nrows + 1) * gap, ncols * cell_w + (ncols + 1) * gap, 3),
                   200, np.uint8)
    for index, cell in enumerate(cells):
        row, col = divmod(index, ncols)
        y, x = gap + row * (cell_h + gap), gap + col * (cell_w + gap)
        grid[y:y + cell_h, x:x + cell_w] = 255
        grid[y:y + cell.shape[0], x:x + cell.shape[1]] = cell
    return grid


def main():
    args = parse_args()
    require_at_least('--topk', args.topk, 1)
    require_at_least('--cell-height', args.cell_height, 1)
    require_writable_dir(args.out_dir, '--out-dir')
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmris'))
    results = load_results(args.results)
    if not results:
        raise UsageError(f'{args.results!r} holds no samples')
    for index, sample in enumerate(results):
        missing = [k for k in ('pred_sem_seg', 'gt_sem_seg') if k not in sample]
        if missing:
            raise UsageError(f'sample {index} of {args.results!r} has no {" or ".join(missing)} '
                             f'(it has {", ".join(sorted(sample))}); test on a split with '
                             f'ground truth')
    ious = [sample_iou(sample) for sample in results]
    order = sorted(range(len(results)), key=lambda i: (ious[i], i))
    topk = min(args.topk, len(results))
    rankings = {'worst': order[:topk], 'best': sorted(order, key=lambda i: (-ious[i], i))[:topk]}

    visualizer = build_visualizer(cfg)
    print(f'{len(results)} samples, mIoU {100 * np.mean(ious):.2f}')
    for kind, indices in rankings.items():
        print(f'\n{kind} {topk}:')
        print(f'{"rank":>4} {"IoU":>6} {"sample":>6}  image  "expression"')
        cells = []
        for rank, index in enumerate(indices, 1):
            sample = results[index]
            name = osp.basename(sample.get('img_path') or '?')
            print(f'{rank:>4} {100 * ious[index]:>6.1f} {index:>6}  {name}  '
                  f'"{sample.get("text", "")}"')
            cells.append(draw_cell(visualizer, sample, f'{kind} #{rank}: sample {index}, {name}',
                                   args.cell_height))
        out_file = osp.join(args.out_dir, f'{kind}.png')
        mmcv.imwrite(mmcv.rgb2bgr(make_grid(cells)), out_file)
        print(f'wrote {out_file}')


if __name__ == '__main__':
    run_cli(main)

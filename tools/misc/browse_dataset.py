"""Look at a data set as the model gets it: images and masks after the pipeline.

    python tools/misc/browse_dataset.py CONFIG [--split train|val|test]
        [--output-dir DIR] [--max-samples N] [--show | --not-show]
        [--cfg-options KEY=VALUE ...]

Each sample of ``<split>_dataloader.dataset`` goes through its pipeline and
is drawn by the config's visualizer (``RISLocalVisualizer``): the image the
model sees (e.g. letterboxed to 416 x 416) with its mask and expression. A
mask that the pipeline leaves at the original size (test pipelines,
``RISLetterbox(warp_mask=False)``) is warped into the letterbox with the
sample's ``affine_matrix``, so mask and image line up. With ``--output-dir``
pictures are written to ``DIR/<image stem>_<index>_<expression>.png`` and
no window opens (``--show`` opens one per sample as well); without it each
is shown in a window, which needs a display.

The pipeline's ``inputs`` are the image in mmcv's BGR order, C x H x W
uint8, before the data preprocessor; they are turned into RGB for drawing.
A pipeline that outputs floating-point images (normalised) is rescaled to
0-255 per image for display.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmengine.utils import ProgressBar

from mmris.utils import UsageError, add_cfg_options_argument, load_config, require_writable_dir, run_cli

SPLITS = ('train', 'val', 'test')


def parse_args():
    parser = argparse.ArgumentParser(description='Draw data set samples after the pipeline.')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--split', choices=SPLITS, default='train',
                        help='which dataloader\'s data set to browse (default: train)')
    parser.add_argument('--output-dir', help='write one picture per sample to this folder')
    parser.add_argument('--max-samples', type=int, metavar='N',
                        help='draw only the first N samples (default: all)')
    show = parser.add_mutually_exclusive_group()
    show.add_argument('--show', action='store_true', default=None,
                      help='open a window per sample (needs a display); the default '
                      'without --output-dir')
    show.add_argument('--not-show', dest='show', action='store_false',
                      help='do not open a window per sample')
    add_cfg_options_argument(parser, 'train_dataloader.dataset.data_root=data/x/')
    return parser.parse_args()


def display_image(inputs: torch.Tensor) -> np.ndarray:
    """Pipeline ``inputs`` (C x H x W, BGR) -> H x W x 3 RGB uint8."""
    image = inputs.detach().cpu().numpy().transpose(1, 2, 0)
    if image.dtype != np.uint8:
        image = image.astype(np.float32)
        low, high = float(image.min()), float(image.max())
        image = (image - low) / max(high - low, 1e-6) * 255
        image = image.round().clip(0, 255).astype(np.uint8)
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[..., 2::-1])


def align_mask(data_sample, shape) -> None:
    """Warp ``gt_sem_seg`` into the letterboxed image of ``shape`` (H, W)
    with the sample's ``affine_matrix`` when the pipeline left it at the
    original size."""
    if 'gt_sem_seg' not in data_sample:
        return
    mask = data_sample.gt_sem_seg.data
    mask = mask.reshape(mask.shape[-2:]).cpu().numpy()
    matrix = data_sample.metainfo.get('affine_matrix')
    if mask.shape == tuple(shape) or matrix is None:
        return
    mask = mask.astype(np.float32) if mask.dtype.kind == 'f' else (mask > 0).astype(np.float32)
    warped = cv2.warpAffine(mask, np.asarray(matrix, np.float64), (shape[1], shape[0]),
                            flags=cv2.INTER_LINEAR, borderValue=0)
    data_sample.gt_sem_seg = PixelData(data=torch.from_numpy(warped > 0.5)[None].long())


def has_display() -> bool:
    """Whether a window can open: on Linux and BSD an X11 or Wayland display
    must be set; macOS and Windows always have one."""
    if not sys.platform.startswith(('linux', 'freebsd', 'openbsd')):
        return True
    return bool(os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))


def main():
    args = parse_args()
    show = not args.output_dir if args.show is None else args.show
    if show and not has_display():
        raise UsageError('no display to open a window on (DISPLAY is not set); pass '
                         '--output-dir DIR to write the pictures to files instead')
    if args.max_samples is not None and args.max_samples < 1:
        raise UsageError(f'--max-samples must be at least 1, got {args.max_samples}')
    if args.output_dir:
        require_writable_dir(args.output_dir, '--output-dir')
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmris'))
    from mmris.engine.hooks import sample_name
    from mmris.registry import DATASETS, VISUALIZERS

    loader = cfg.get(f'{args.split}_dataloader')
    if not loader or 'dataset' not in loader:
        raise UsageError(f'config {args.config!r} has no {args.split}_dataloader.dataset; '
                         f'pick another --split')
    if not show and not args.output_dir:
        print('warning: with --not-show and no --output-dir nothing is drawn anywhere',
              file=sys.stderr)
    dataset = DATASETS.build(loader.dataset)
    visualizer_cfg = cfg.get('visualizer') or dict(type='RISLocalVisualizer')
    visualizer_cfg = dict(visualizer_cfg, save_dir=None, vis_backends=None)
    visualizer = VISUALIZERS.build(visualizer_cfg)
    visualizer.dataset_meta = dataset.metainfo

    count = len(dataset) if args.max_samples is None else min(args.max_samples, len(dataset))
    progress = ProgressBar(count)
    for index in range(count):
        item = dataset[index]
        image = display_image(item['inputs'])
        data_sample = item['data_samples']
        align_mask(data_sample, image.shape[:2])
        name = sample_name(data_sample.img_path, index, data_sample.metainfo.get('text'))
        visualizer.add_datasample(
            name, image, data_sample, draw_pred=False, show=show,
            out_file=osp.join(args.output_dir, name + '.png') if args.output_dir else None)
        progress.update()
    print(f'\ndrew {count} of {len(dataset)} {args.split} samples'
          + (f' into {args.output_dir}' if args.output_dir else ''))


if __name__ == '__main__':
    run_cli(main)

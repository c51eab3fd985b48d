"""Segment an image into the classes of a vocabulary-mode model.

    python tools/demo/seg_demo.py IMG CONFIG --weights CKPT [--classes A B C ...]
        [--out-file OUT] [--device cpu|cuda] [--opacity 0.5]

CONFIG is one of the semantic-segmentation configs (configs/etris_seg/,
configs/demo/etris-seg_tiny_synthetic-shapes.py). ``--classes`` segments with
another class list than the config's, with the same weights (open
vocabulary): at least two names, or one name of a class list mmseg or mmdet
knows (``ade20k``, ``mmdet.coco``). OUT (default: IMG's name with _seg.png) shows the image with a
colour per class and a legend of the classes found, with their share of the
picture. Example:

    python tools/demo/seg_demo.py data/synthetic_shapes/img_dir/val/00000.png \\
        configs/demo/etris-seg_tiny_synthetic-shapes.py \\
        --weights work_dirs/demo-seg/iter_1500.pth --classes background circle square triangle
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np

from mmris.utils import UsageError, run_cli

LEGEND_ROW = 22  # pixels per legend row


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Segment an image into the classes of a '
                                     'vocabulary-mode model, with a legend.')
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file')
    parser.add_argument('--weights', required=True, metavar='CKPT', help='checkpoint file')
    parser.add_argument('--classes', nargs='+', metavar='NAME',
                        help="class names to segment with, at least 2, or one name of a class "
                        "list mmseg or mmdet knows (ade20k, voc, mmdet.coco) (default: the "
                        "config's)")
    parser.add_argument('--out-file', help='picture to write (default: <img>_seg.png)')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N' (cpu)")
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='opacity of the class colours, in (0, 1] (0.5)')
    return parser.parse_args(argv)


def check_args(args) -> None:
    for flag, path in (('IMG', args.img), ('CONFIG', args.config), ('--weights', args.weights)):
        if not osp.isfile(path):
            raise UsageError(f'{flag} {path!r} is not a file')
    if not 0 < args.opacity <= 1:
        raise UsageError(f'--opacity must be in (0, 1], got {args.opacity}')
    args.out_file = args.out_file or osp.splitext(osp.basename(args.img))[0] + '_seg.png'
    folder = osp.dirname(osp.abspath(args.out_file))
    if not osp.isdir(folder):
        raise UsageError(f'--out-file {args.out_file!r}: folder {folder!r} does not exist')


def vocabulary(classes: Optional[List[str]]) -> Union[None, str, List[str]]:
    """``--classes``: the list, or a class-list name (``ade20k``) given alone."""
    return classes[0] if classes and len(classes) == 1 else classes


def legend_entries(labels: np.ndarray, classes: Sequence[str]) -> List[tuple]:
    """``(class index, name, share of pixels in %)`` of every class present
    in the label map, the largest first."""
    counts = np.bincount(labels.ravel(), minlength=len(classes))
    order = np.argsort(-counts, kind='stable')
    return [(int(i), classes[i], 100 * counts[i] / labels.size) for i in order if counts[i]]


def draw_legend(visualizer, entries: List[tuple], palette, width: int) -> np.ndarray:
    """A white strip (RGB) with a colour box, the name and the share of each entry."""
    canvas = np.full((LEGEND_ROW * len(entries) + 8, width, 3), 255, np.uint8)
    visualizer.set_image(canvas)
    for row, (index, name, share) in enumerate(entries):
        top = 4 + row * LEGEND_ROW
        visualizer.draw_bboxes(np.array([[6, top + 3, 22, top + 19]]), edge_colors=[(0, 0, 0)],
                               face_colors=[tuple(palette[index])], alpha=1.0)
        visualizer.draw_texts(f'{name}: {share:.1f}%', np.array([30, top + 2]),
                              colors='black', font_sizes=12)
    return visualizer.get_image()


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    check_args(args)
    import mmcv

    from mmris.apis import VocabularySegInferencer
    image = mmcv.imread(args.img, channel_order='rgb')
    if image is None:
        raise UsageError(f'IMG {args.img!r} could not be read as an image')
    try:
        inferencer = VocabularySegInferencer(args.config, weights=args.weights,
                                             classes=vocabulary(args.classes), device=args.device)
    except ValueError as error:
        raise UsageError(str(error)) from error
    result = inferencer(args.img, return_datasamples=True)
    labels = result.pred_sem_seg.data[0].cpu().numpy()
    visualizer = inferencer.visualizer
    meta = visualizer.dataset_meta
    visualizer.alpha = args.opacity
    visualizer.add_datasample('seg', image, result, draw_gt=False, with_labels=False)
    picture = visualizer.get_image()
    entries = legend_entries(labels, meta['classes'])
    text_width = 40 + 10 * max(len(f'{name}: {share:.1f}%') for _, name, share in entries)
    width = max(picture.shape[1], text_width)
    legend = draw_legend(visualizer, entries, meta['palette'], width)
    picture = np.pad(picture, ((0, 0), (0, width - picture.shape[1]), (0, 0)),
                     constant_values=255)
    mmcv.imwrite(np.concatenate([picture, legend])[..., ::-1], args.out_file)
    for _, name, share in entries:
        print(f'{name}: {share:.1f}% of the image')
    print(f'wrote {args.out_file}')


if __name__ == '__main__':
    run_cli(main)

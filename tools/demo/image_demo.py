"""Segment what one or more expressions refer to in an image.

    python tools/demo/image_demo.py IMG EXPRESSION [EXPRESSION ...] CONFIG
        --weights CKPT --out-file OUT [--device cpu|cuda] [--threshold T]
        [--precision fp32|bf16|fp16] [--backend pytorch|onnxruntime]
        [--cfg-options KEY=VALUE ...]

CONFIG is a config file or a config name such as vitb_refcoco
(configs/etris/vitb_refcoco.py). OUT gets one picture with a panel per
expression; the mask area of each expression is printed, or "no match"
(with the no-target score of a model with a no-target head, docs/gres.md). ``--precision bf16``
runs the network under bf16 autocast (CPUs with native bf16, CUDA);
``--backend onnxruntime`` runs an exported network (``--weights FILE.onnx``
from tools/deployment/export_onnx.py, fp32 or ``--int8``) with ONNX Runtime.
``--cfg-options`` changes the config as in tools/test.py, e.g. the CLIP file
that restores the frozen towers of a parameter-efficient checkpoint
(``model.backbone.clip_weights=PATH``). Example:

    python tools/demo/image_demo.py demo.jpg "the man on the left" "the red car" \\
        vitb_refcoco --weights etris_vitb_refcoco.pth --out-file demo_out.png
"""
import argparse
import math
import os.path as osp
import re
from typing import List, Optional, Sequence

import numpy as np

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')
USAGE_ORDER = 'the order is IMG EXPRESSION [EXPRESSION ...] CONFIG'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment what each expression refers to in an image.',
        usage='%(prog)s IMG EXPRESSION [EXPRESSION ...] CONFIG --weights CKPT '
        '--out-file OUT [--device cpu|cuda] [--threshold T] [--precision fp32|bf16|fp16] '
        '[--backend pytorch|onnxruntime] [--cfg-options KEY=VALUE ...]')
    parser.add_argument('img', metavar='IMG', help='image file')
    parser.add_argument('rest', nargs='+', metavar='EXPRESSION ... CONFIG',
                        help='one or more referring expressions (quote each), then the config '
                        'file or config name (e.g. vitb_refcoco)')
    parser.add_argument('--out-file', required=True, metavar='OUT',
                        help='picture to write (.png, .jpg, ...)')
    add_model_arguments(parser)
    args = parser.parse_args(argv)
    args.expressions, args.config = args.rest[:-1], args.rest[-1]
    return args


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both demos take to build their inferencer."""
    parser.add_argument('--weights', required=True, metavar='CKPT',
                        help='checkpoint file (an .onnx file with --backend onnxruntime)')
    parser.add_argument('--device', default=None,
                        help='cpu, cuda or cuda:N (default: cuda where available, else cpu)')
    parser.add_argument('--threshold', type=float, default=None,
                        help="foreground where the probability is above this, in [0, 1) "
                        "(default: the config's model.test_cfg.mask_threshold)")
    parser.add_argument('--precision', choices=['fp32', 'bf16', 'fp16'], default='fp32',
                        help='autocast: bf16 (CPUs with native bf16, CUDA) or fp16 (CUDA); '
                        'default fp32')
    parser.add_argument('--backend', choices=['pytorch', 'onnxruntime'], default='pytorch',
                        help='run the network with PyTorch (default) or ONNX Runtime')
    from mmris.utils.cli import add_cfg_options_argument
    add_cfg_options_argument(parser, example='model.backbone.clip_weights=pretrain/ViT-B-16.pt')


def check_device(device: Optional[str]) -> str:
    """``device``, or the default; UsageError for CUDA on a machine without it."""
    import torch

    from mmris.utils import UsageError
    if device is None:
        return 'cuda' if torch.cuda.is_available() else 'cpu'
    if not re.fullmatch(r'cpu|cuda(:\d+)?', device):
        raise UsageError(f'--device {device!r} is not a device; use cpu, cuda or cuda:N')
    if device.startswith('cuda'):
        if not torch.cuda.is_available():
            why = 'torch was built without CUDA' if torch.version.cuda is None else \
                'no CUDA GPU was found'
            raise UsageError(f'--device {device}: CUDA is not available on this machine ({why}; '
                             f'torch {torch.__version__}); use --device cpu')
        index = int(device.split(':')[1]) if ':' in device else 0
        if index >= torch.cuda.device_count():
            raise UsageError(f'--device {device}: this machine has '
                             f'{torch.cuda.device_count()} CUDA device(s)')
    return device


def resolve_config(config: str) -> str:
    """The config file of ``config`` (a path or a name); UsageError if none."""
    from mmris.apis.ris_inferencer import find_config
    from mmris.utils import UsageError
    try:
        return find_config(config)
    except (FileNotFoundError, ValueError) as error:
        raise UsageError(f'CONFIG (the last positional argument) {config!r} is not a config: '
                         f'{error}; {USAGE_ORDER}') from error


def build_inferencer(config: str, args: argparse.Namespace, device: str):
    """A RISInferencer of ``args``' weights, precision and backend;
    UsageError when they do not fit each other, a CheckpointError naming
    the weights when they cannot be read or do not fit the config."""
    from mmris.apis import RISInferencer
    from mmris.utils import UsageError, load_config, require_checkpoint
    weights = args.weights
    if args.backend == 'onnxruntime':
        if not weights.endswith('.onnx') or not osp.isfile(weights):
            raise UsageError(f'--weights {weights!r}: --backend onnxruntime needs an existing '
                             f'.onnx file written by tools/deployment/export_onnx.py')
        if args.precision != 'fp32':
            raise UsageError(f'--precision {args.precision} applies to --backend pytorch; the '
                             f'ONNX file runs as exported (fp32, or int8 with export_onnx.py --int8)')
        device = 'cpu'
    else:
        require_checkpoint(weights, '--weights')
    if args.precision == 'fp16' and not device.startswith('cuda'):
        raise UsageError('--precision fp16 (CUDA autocast) needs a CUDA --device; on a CPU use '
                         'bf16 or fp32')
    return RISInferencer(load_config(config, args.cfg_options), weights=weights, device=device,
                         precision=args.precision, backend=args.backend)


def tile(pictures: List[np.ndarray], gap: int = 8, max_columns: int = 3) -> np.ndarray:
    """``pictures`` (RGB) on a white grid, at most ``max_columns`` wide."""
    columns = min(len(pictures), max_columns)
    rows = math.ceil(len(pictures) / columns)
    cell_h = max(p.shape[0] for p in pictures)
    cell_w = max(p.shape[1] for p in pictures)
    canvas = np.full((rows * cell_h + (rows - 1) * gap, columns * cell_w + (columns - 1) * gap,
                      3), 255, np.uint8)
    for index, picture in enumerate(pictures):
        top = (index // columns) * (cell_h + gap)
        left = (index % columns) * (cell_w + gap)
        canvas[top:top + picture.shape[0], left:left + picture.shape[1]] = picture
    return canvas


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from mmris.utils import UsageError, require_writable_file
    if not args.expressions:
        if osp.isfile(args.rest[0]) or args.rest[0].endswith('.py'):
            raise UsageError(f'no expression given; {USAGE_ORDER}, e.g. '
                             f'{osp.basename(args.img)} "the dog on the left" {args.rest[0]}')
        raise UsageError(f'expected one or more expressions and then CONFIG after IMG, got only '
                         f'{args.rest[0]!r}; {USAGE_ORDER}')
    if args.img.endswith('.py'):
        raise UsageError(f'IMG {args.img!r} is a config file; {USAGE_ORDER}')
    if not osp.isfile(args.img):
        raise UsageError(f'image {args.img!r} (IMG) does not exist')
    for expression in args.expressions:
        if not expression.strip():
            raise UsageError('an expression is empty; quote each expression, e.g. "the red car"')
        if expression.endswith('.py') and osp.isfile(expression):
            raise UsageError(f'{expression!r} looks like a config, but CONFIG must come last; '
                             f'{USAGE_ORDER}')
    config = resolve_config(args.config)
    if args.threshold is not None and not 0 <= args.threshold < 1:
        raise UsageError(f'--threshold {args.threshold} must be in [0, 1)')
    if not args.out_file.lower().endswith(IMAGE_SUFFIXES):
        raise UsageError(f'--out-file {args.out_file!r} must end with one of '
                         f'{", ".join(IMAGE_SUFFIXES)}')
    require_writable_file(args.out_file, '--out-file')
    device = check_device(args.device)

    import mmcv

    from mmris.apis.inputs import read_image
    from mmris.apis.ris_inferencer import describe_match
    image = read_image(args.img)
    inferencer = build_inferencer(config, args, device)
    result = inferencer(image, args.expressions, batch_size=len(args.expressions),
                        return_vis=True, threshold=args.threshold)
    for prediction in result['predictions']:
        height, width = prediction['mask'].shape
        area = int(prediction['mask'].sum())
        print(f'"{prediction["text"]}": {describe_match(prediction["no_target_score"], area)} '
              f'({100 * area / (height * width):.1f}% of {width}x{height})')
    if not mmcv.imwrite(mmcv.rgb2bgr(tile(result['visualization'])), args.out_file):
        raise UsageError(f'--out-file {args.out_file!r} could not be written')
    print(f'wrote {args.out_file}')


if __name__ == '__main__':
    from mmris.utils import run_cli
    run_cli(main)

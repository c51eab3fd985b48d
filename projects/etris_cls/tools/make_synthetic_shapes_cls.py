"""Write the generated shapes classification set (K classes, no downloads).

    python projects/etris_cls/tools/make_synthetic_shapes_cls.py --out data/shapes_cls

Layout: OUT/{train,val}/<shape>/NNNNN.png, read by ClassFolderDataset.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..')))

from mmris.utils import UsageError, run_cli  # noqa: E402
from projects.etris_cls.etris_cls import SHAPES, generate_shapes_folder  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/shapes_cls', help='output folder')
    parser.add_argument('--num-classes', type=int, default=8,
                        help=f'K, taking the first K of: {", ".join(SHAPES)}')
    parser.add_argument('--train-per-class', type=int, default=16,
                        help='training images per class (k-shot sets take the first k)')
    parser.add_argument('--val-per-class', type=int, default=20,
                        help='validation images per class')
    parser.add_argument('--size', type=int, default=64, help='image side in pixels')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.train_per_class < 1 or args.val_per_class < 1:
        raise UsageError('--train-per-class and --val-per-class must be at least 1')
    try:
        classes = generate_shapes_folder(args.out, args.num_classes, args.train_per_class,
                                         args.val_per_class, args.size, args.seed)
    except ValueError as error:
        raise UsageError(str(error)) from error
    print(f'\nwrote {len(classes)} classes ({", ".join(classes)}), {args.train_per_class} train '
          f'and {args.val_per_class} val images each, to {args.out}')


if __name__ == '__main__':
    run_cli(main)

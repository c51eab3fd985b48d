"""Write the synthetic shapes set used by the demo job and the tests.

    python tools/dataset_converters/make_synthetic_shapes.py --out data/synthetic_shapes
"""
import argparse

from mmris.datasets import generate_synthetic_shapes
from mmris.utils import UsageError, run_cli


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/synthetic_shapes', help='output folder')
    parser.add_argument('--num-train', type=int, default=200, help='training images')
    parser.add_argument('--num-val', type=int, default=40, help='validation images')
    parser.add_argument('--size', type=int, default=64, help='image side in pixels')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.size < 16 or args.num_train < 1 or args.num_val < 1:
        raise UsageError('--size must be at least 16 and --num-train, --num-val at least 1')
    generate_synthetic_shapes(args.out, args.num_train, args.num_val, args.size, args.seed)
    print(f'\nwrote {args.num_train} train and {args.num_val} val images to {args.out}')


if __name__ == '__main__':
    run_cli(main)

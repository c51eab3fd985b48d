"""Write a synthetic COCO-format detection set of coloured shapes.

    python tools/dataset_converters/make_synthetic_coco.py --out data/synthetic_coco

writes train/*.jpg, val/*.jpg and annotations/instances_{train,val}.json
under --out (categories circle, square and triangle, with boxes, polygons
and RLE masks), which mmdet's CocoDataset and CocoMetric read as they are.
"""
import argparse

from mmris.datasets import generate_synthetic_coco
from mmris.utils import require_at_least, run_cli


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog='The same --seed always gives the same files.')
    parser.add_argument('--out', default='data/synthetic_coco', help='output folder (the data root)')
    parser.add_argument('--num-train', type=int, default=400, help='training images')
    parser.add_argument('--num-val', type=int, default=100, help='validation images')
    parser.add_argument('--size', type=int, default=128,
                        help='longest image side in pixels; sides vary from 5/8 of it up to it')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args()


def main():
    args = parse_args()
    require_at_least('--size', args.size, 32)
    require_at_least('--num-train', args.num_train, 1)
    require_at_least('--num-val', args.num_val, 1)
    summary = generate_synthetic_coco(args.out, num_train=args.num_train, num_val=args.num_val,
                                      size=args.size, seed=args.seed)
    print()
    print(f'{"split":8}{"images":>8}{"boxes":>8}')
    for split, counts in summary.items():
        print(f'{split:8}{counts["images"]:8d}{counts["boxes"]:8d}')
    print(f'wrote {args.num_train + args.num_val} images to {args.out}')


if __name__ == '__main__':
    run_cli(main)

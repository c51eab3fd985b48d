"""Write a synthetic RefCOCO-style set of coloured shapes in the refer format.

    python tools/dataset_converters/make_synthetic_refcoco.py --out data/synthetic_refcoco

writes train2014/*.jpg, refcoco/instances.json and refcoco/refs(unc).p under
--out, laid out like data/coco, so the refcoco configs read it with
data_root set to --out.
"""
import argparse

from mmris.datasets import generate_synthetic_refcoco
from mmris.utils import require_at_least, run_cli


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog='The same --seed always gives the same files.')
    parser.add_argument('--out', default='data/synthetic_refcoco',
                        help='output folder (the data root)')
    parser.add_argument('--num-images', type=int, default=600,
                        help='number of images, at least 4 (split 70/10/10/10 into '
                        'train/val/testA/testB)')
    parser.add_argument('--size', type=int, default=128,
                        help='longest image side in pixels; sides vary from 5/8 of it up to it')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args()


def main():
    args = parse_args()
    require_at_least('--size', args.size, 32)
    require_at_least('--num-images', args.num_images, 4, ' (one image per split)')
    summary = generate_synthetic_refcoco(args.out, num_images=args.num_images, size=args.size,
                                         seed=args.seed)
    print()
    print(f'{"split":8}{"images":>8}{"refs":>8}{"sentences":>11}')
    for split, counts in summary.items():
        print(f'{split:8}{counts["images"]:8d}{counts["refs"]:8d}{counts["sentences"]:11d}')
    print(f'wrote {args.num_images} images to {args.out}')


if __name__ == '__main__':
    run_cli(main)

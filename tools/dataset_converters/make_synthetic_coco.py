"""Write a synthetic COCO-format detection set of coloured shapes.

    python tools/dataset_converters/make_synthetic_coco.py --out data/synthetic_coco

writes train/*.jpg, val/*.jpg and annotations/instances_{train,val}.json
under --out (categories circle, square and triangle, with boxes, polygons
and RLE masks), which mmdet's CocoDataset and CocoMetric read as they are.
An --out that already holds any of these files and was not written by the
generators is refused unless --overwrite is given.
"""
from mmris.synthetic import generate_synthetic_coco
from mmris.utils import (
    check_synthetic_set_options,
    print_split_counts,
    require_at_least,
    run_cli,
    synthetic_set_parser,
)


def parse_args():
    parser = synthetic_set_parser(__doc__, out='data/synthetic_coco', size=128)
    parser.add_argument('--num-train', type=int, default=400, help='training images')
    parser.add_argument('--num-val', type=int, default=100, help='validation images')
    return parser.parse_args()


def main():
    args = parse_args()
    require_at_least('--num-train', args.num_train, 1)
    require_at_least('--num-val', args.num_val, 1)
    check_synthetic_set_options(args, least_size=32)
    summary = generate_synthetic_coco(args.out, num_train=args.num_train, num_val=args.num_val,
                                      size=args.size, seed=args.seed,
                                      overwrite=args.overwrite)
    print_split_counts(summary, ('images', 'boxes'))
    print(f'wrote {args.num_train + args.num_val} images to {args.out}')


if __name__ == '__main__':
    run_cli(main)

"""Write the synthetic shapes set used by the demo job and the tests.

    python tools/dataset_converters/make_synthetic_shapes.py --out data/synthetic_shapes

writes img_dir/{train,val}/*.png and ann_dir/{train,val}/*.png under --out.
An --out that already holds any of these files and was not written by the
generators is refused unless --overwrite is given.
"""
from mmris.synthetic import generate_synthetic_shapes
from mmris.utils import check_synthetic_set_options, require_at_least, run_cli, synthetic_set_parser


def parse_args():
    parser = synthetic_set_parser(__doc__, out='data/synthetic_shapes', size=64,
                                  size_help='image side in pixels')
    parser.add_argument('--num-train', type=int, default=200, help='training images')
    parser.add_argument('--num-val', type=int, default=40, help='validation images')
    return parser.parse_args()


def main():
    args = parse_args()
    require_at_least('--num-train', args.num_train, 1)
    require_at_least('--num-val', args.num_val, 1)
    check_synthetic_set_options(args, least_size=16)
    generate_synthetic_shapes(args.out, args.num_train, args.num_val, args.size, args.seed,
                              overwrite=args.overwrite)
    print(f'\nwrote {args.num_train} train and {args.num_val} val images to {args.out}')


if __name__ == '__main__':
    run_cli(main)

"""Write a synthetic RefCOCO-style set of coloured shapes in the refer format.

    python tools/dataset_converters/make_synthetic_refcoco.py --out data/synthetic_refcoco
    python tools/dataset_converters/make_synthetic_refcoco.py --out data/synthetic_refcoco --grefcoco

writes train2014/*.jpg, refcoco/instances.json and refcoco/refs(unc).p under
--out, laid out like data/coco, so the refcoco configs read it with
data_root set to --out. With --grefcoco it also writes the gRefCOCO variant
over the same images (grefcoco/instances.json, grefcoco/grefs(unc).json:
expressions naming several shapes or none), in its own split.

An --out that already holds any of these files and was not written by the
generators (a real COCO root, say) is refused unless --overwrite is given;
the generators' own earlier output is rewritten without it.
"""
from mmris.synthetic import generate_synthetic_grefcoco, generate_synthetic_refcoco
from mmris.utils import (
    check_synthetic_set_options,
    print_split_counts,
    require_at_least,
    run_cli,
    synthetic_set_parser,
)


def parse_args():
    parser = synthetic_set_parser(__doc__, out='data/synthetic_refcoco', size=128)
    parser.add_argument('--num-images', type=int, default=600,
                        help='number of images, at least 4 (split 70/10/10/10 into '
                        'train/val/testA/testB)')
    parser.add_argument('--grefcoco', action='store_true',
                        help='also write the gRefCOCO variant (multi-target and no-target '
                        'expressions) under grefcoco/')
    return parser.parse_args()


def main():
    args = parse_args()
    require_at_least('--num-images', args.num_images, 4, ' (one image per split)')
    check_synthetic_set_options(args, least_size=32)
    if args.grefcoco:
        summaries = generate_synthetic_grefcoco(args.out, num_images=args.num_images,
                                                size=args.size, seed=args.seed,
                                                overwrite=args.overwrite)
        print('refcoco:')
        print_split_counts(summaries['refcoco'], ('images', 'refs', 'sentences'))
        print('grefcoco:')
        print_split_counts(summaries['grefcoco'],
                           ('images', 'refs', 'sentences', 'no-target', 'multi-target'))
    else:
        summary = generate_synthetic_refcoco(args.out, num_images=args.num_images,
                                             size=args.size, seed=args.seed,
                                             overwrite=args.overwrite)
        print_split_counts(summary, ('images', 'refs', 'sentences'))
    print(f'wrote {args.num_images} images to {args.out}')


if __name__ == '__main__':
    run_cli(main)

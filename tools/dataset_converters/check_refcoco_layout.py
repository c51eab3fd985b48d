"""Check the RefCOCO / RefCOCO+ / RefCOCOg (and gRefCOCO) files under a data root.

    python tools/dataset_converters/check_refcoco_layout.py --data-root data/coco --check-images
    python tools/dataset_converters/check_refcoco_layout.py --datasets grefcoco

For each data set: whether refcoco/instances.json and refcoco/refs(unc).p
(refcoco+/refs(unc).p, refcocog/refs(umd).p, refcocog/refs(google).p;
grefcoco/grefs(unc).json) exist and load, the refs and sentences of each
split, refs whose annotation id is not in instances.json and, with
--check-images, the images missing from train2014/. Without --datasets it
checks the data sets whose folder (refcoco/, refcoco+/, refcocog/,
grefcoco/) is under the data root, or RefCOCO, RefCOCO+ and RefCOCOg where
none is. Ends with "OK", or "error: N problems: ..." and exit status 2.
"""
import argparse
import os.path as osp

from mmris.datasets.refcoco_layout import (
    DEFAULT_DATASETS,
    REFCOCO_FILES,
    check_layout,
    format_report,
    refer_files,
)
from mmris.utils import UsageError, run_cli


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', default='data/coco',
                        help='folder holding train2014/ and the refer folders (default: data/coco)')
    parser.add_argument('--datasets', nargs='+', choices=list(REFCOCO_FILES),
                        metavar='NAME',
                        help=f'data sets to check, of {", ".join(REFCOCO_FILES)} (default: '
                        f'those whose folder is under --data-root, or {", ".join(DEFAULT_DATASETS)} '
                        f'where none is)')
    parser.add_argument('--check-images', action='store_true',
                        help='also check that every image of a ref is in train2014/')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isdir(args.data_root):
        raise UsageError(f'data root {args.data_root!r} is not a folder; pass --data-root '
                         f'with the folder that holds train2014/ and refcoco/')
    present = [name for name in REFCOCO_FILES
               if osp.isdir(osp.dirname(refer_files(args.data_root, name).ann_file))]
    datasets = args.datasets or present or list(DEFAULT_DATASETS)
    report = check_layout(args.data_root, datasets, check_images=args.check_images)
    print(format_report(report))
    problems = report.problems
    if problems:
        shown = '; '.join(problems[:3]) + ('; ...' if len(problems) > 3 else '')
        absent = [d.name for d in report.datasets
                  if d.ann_status == d.refs_status == 'missing']
        hint = f' (pass --datasets to leave out {", ".join(absent)})' \
            if absent and not args.datasets else ''
        raise UsageError(f'{len(problems)} problems: {shown}{hint}')
    print('OK')


if __name__ == '__main__':
    run_cli(main)

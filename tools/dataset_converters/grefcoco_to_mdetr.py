"""Write a gRefCOCO split as MDETR-style COCO annotations for mmdet's
gRefCOCOMetric (generalized referring detection).

    python tools/dataset_converters/grefcoco_to_mdetr.py --data-root data/synthetic_refcoco \
        --split val --out data/synthetic_refcoco/grefcoco/mdetr_val.json

Every expression of the split becomes one image entry (its ``caption``) with
the boxes of its targets, or one box of category -1 when it names nothing.
"""
import argparse

from mmris.datasets import GRefCOCODataset
from mmris.datasets.mdetr_annotations import write_mdetr_annotations
from mmris.utils import run_cli


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default='data/coco',
                        help='folder holding grefcoco/ and train2014/ (default: data/coco)')
    parser.add_argument('--split', default='val', help='the split to write (default: val)')
    parser.add_argument('--out', required=True, help='the JSON file to write')
    return parser.parse_args()


def main():
    args = parse_args()
    dataset = GRefCOCODataset(data_root=args.data_root, split=args.split, mode='test',
                              pipeline=[])
    counts = write_mdetr_annotations(dataset, args.out)
    print(f'wrote {counts["expressions"]} expressions ({counts["no-target"]} no-target) '
          f'to {args.out}')


if __name__ == '__main__':
    run_cli(main)

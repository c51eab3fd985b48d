"""Write a small example of referring data in mmris' custom JSON format.

    python projects/my_refer_data/make_example_data.py --out data/my_refer_data

writes what a user's own data looks like for RISCustomDataset::

    OUT/images/<image id>.jpg  the images
    OUT/masks/<ref id>.png     one mask per referred object (non-zero: the object)
    OUT/train.json, val.json   {"metainfo": ..., "data_list": [{"img_path", "mask", "expressions"}]}

The pictures and expressions are mmris' synthetic coloured shapes
(generate_synthetic_refcoco), rewritten from the refer layout into folders
of images and PNG masks. The same --seed always gives the same files.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import tempfile

import cv2

from mmris.datasets import RefCOCODataset
from mmris.datasets.transforms import decode_mask
from mmris.synthetic import generate_synthetic_refcoco
from mmris.utils import require_at_least, run_cli

#: Split of the synthetic set -> annotation file written.
SPLITS = {'train': 'train.json', 'val': 'val.json'}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/my_refer_data',
                        help='output folder (the data root of the example config)')
    parser.add_argument('--num-images', type=int, default=20,
                        help='number of images, at least 4 (70%% train, 10%% val)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    return parser.parse_args()


def write_split(refer_root: str, split: str, out: str) -> dict:
    """Write the images and masks of one split of the refer-layout set under
    ``refer_root`` to ``out``; return its RIS JSON content."""
    objects = RefCOCODataset(
        data_root=refer_root, ann_file='refcoco/instances.json',
        split_file='refcoco/refs(unc).p', split=split, lazy_init=True).load_objects()
    data_list = []
    for obj in objects:
        image_name = f'{obj["img_id"]:04d}.jpg'
        if not osp.exists(osp.join(out, 'images', image_name)):
            shutil.copyfile(obj['img_path'], osp.join(out, 'images', image_name))
        mask_name = f'{obj["ref_id"]:04d}.png'
        mask = decode_mask(obj['mask'], obj['height'], obj['width'])
        cv2.imwrite(osp.join(out, 'masks', mask_name), mask * 255)
        data_list.append(dict(img_path=image_name, mask=mask_name,
                              expressions=obj['sentences']))
    return dict(metainfo=dict(dataset_name='my_refer_data', split=split), data_list=data_list)


def main():
    args = parse_args()
    require_at_least('--num-images', args.num_images, 4, ' (one image per split)')
    os.makedirs(osp.join(args.out, 'images'), exist_ok=True)
    os.makedirs(osp.join(args.out, 'masks'), exist_ok=True)
    with tempfile.TemporaryDirectory() as refer_root:
        generate_synthetic_refcoco(refer_root, num_images=args.num_images, seed=args.seed)
        print()
        for split, file_name in SPLITS.items():
            content = write_split(refer_root, split, args.out)
            with open(osp.join(args.out, file_name), 'w') as file:
                json.dump(content, file, indent=1)
            expressions = sum(len(item['expressions']) for item in content['data_list'])
            print(f'{file_name}: {len(content["data_list"])} objects, {expressions} expressions')
    print(f'wrote the example data to {args.out}')


if __name__ == '__main__':
    run_cli(main)

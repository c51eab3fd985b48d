"""Write an mmris RIS JSON file from one split of the reference ETRIS layout.

    python tools/dataset_converters/reference_to_custom_json.py \\
        datasets refcoco val datasets/refcoco_val.json --image-dir images/train2014

reads REF_ROOT/anns/DATASET/SPLIT.json (written by the reference's
tools/data_process.py) and writes OUT_JSON for RISCustomDataset: one entry
per ref with img_path IMAGE_DIR/<img_name>, mask masks/DATASET/<segment_id>.png
and the refs' sentences as expressions. Paths are relative to REF_ROOT, so
use it as data_root (with empty data_prefix folders). Every mask PNG must
exist; missing ones are an error.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.utils import ProgressBar

from mmris.utils import UsageError, require_writable_file, run_cli


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('ref_root', metavar='REF_ROOT',
                        help='the reference data folder, holding anns/ and masks/')
    parser.add_argument('dataset', metavar='DATASET',
                        help='folder name under anns/ and masks/, e.g. refcoco, refcocog_u')
    parser.add_argument('split', metavar='SPLIT', help='split, e.g. train, val, testA')
    parser.add_argument('out', metavar='OUT_JSON', help='the JSON file to write')
    parser.add_argument('--image-dir', default='train2014',
                        help='image folder, relative to REF_ROOT, written in front of each '
                        "image name (default: train2014; the reference's own layout uses "
                        'images/train2014)')
    return parser.parse_args()


def _read_annotations(ref_root: str, dataset: str, split: str) -> list:
    ann_dir = osp.join(ref_root, 'anns', dataset)
    path = osp.join(ann_dir, f'{split}.json')
    if not osp.isfile(path):
        if not osp.isdir(ann_dir):
            there = sorted(os.listdir(osp.join(ref_root, 'anns'))) \
                if osp.isdir(osp.join(ref_root, 'anns')) else []
            found = f'anns/ holds {", ".join(there)}' if there else \
                f'{ref_root} has no anns/ folder; is it the reference data folder?'
            raise UsageError(f'{ann_dir} does not exist ({found})')
        splits = sorted(name[:-5] for name in os.listdir(ann_dir) if name.endswith('.json'))
        raise UsageError(f'{path} does not exist; the splits of {dataset} are '
                         f'{", ".join(splits) or "none"}')
    try:
        with open(path) as file:
            entries = json.load(file)
    except (OSError, ValueError) as error:
        raise UsageError(f'{path} could not be read: {error}') from error
    if not isinstance(entries, list):
        raise UsageError(f'{path} is not a reference annotation file (a list of refs)')
    return entries


def convert(ref_root: str, dataset: str, split: str, image_dir: str = 'train2014') -> dict:
    """The mmris RIS JSON content for one split of the reference layout.

    Raises:
        UsageError: the annotation file is missing or malformed, or mask
            PNGs are missing (the first few are named, with the count).
    """
    path = osp.join('anns', dataset, f'{split}.json')
    entries = _read_annotations(ref_root, dataset, split)
    data_list, missing, malformed = [], [], []
    progress = ProgressBar(len(entries))
    for index, entry in enumerate(entries):
        progress.update()
        try:
            segment_id = int(entry['segment_id'])
            img_name = str(entry['img_name'])
            expressions = [sentence['sent'].strip() for sentence in entry['sentences']]
        except (KeyError, TypeError, ValueError, AttributeError):
            malformed.append(index)
            continue
        mask = f'masks/{dataset}/{segment_id}.png'
        if not osp.isfile(osp.join(ref_root, mask)):
            missing.append(mask)
            continue
        data_list.append(dict(img_path=f'{image_dir.rstrip("/")}/{img_name}', mask=mask,
                              expressions=expressions, ref_id=segment_id))
    print()
    if malformed:
        raise UsageError(f'{len(malformed)} entries of {path} lack segment_id, img_name or '
                         f'sentences with "sent" (entries {", ".join(map(str, malformed[:5]))}'
                         f'{", ..." if len(malformed) > 5 else ""}); is it written by the '
                         f"reference's tools/data_process.py?")
    if missing:
        more = ', ...' if len(missing) > 5 else ''
        raise UsageError(f'{len(missing)} of {len(entries)} mask PNGs are missing under '
                         f'{ref_root}: {", ".join(missing[:5])}{more}; '
                         f'run the reference data_process.py with --generate_mask')
    return dict(metainfo=dict(dataset_name=dataset, split=split), data_list=data_list)


def main():
    args = parse_args()
    require_writable_file(args.out, 'OUT_JSON')
    content = convert(args.ref_root, args.dataset, args.split, args.image_dir)
    if not osp.isdir(osp.join(args.ref_root, args.image_dir)):
        print(f'note: {osp.join(args.ref_root, args.image_dir)} does not exist; pass '
              f'--image-dir with the image folder relative to REF_ROOT (the reference layout '
              f'uses images/train2014)')
    with open(args.out, 'w') as file:
        json.dump(content, file)
    sentences = sum(len(item['expressions']) for item in content['data_list'])
    print(f'wrote {len(content["data_list"])} refs with {sentences} expressions of '
          f'{args.dataset} {args.split} to {args.out}')


if __name__ == '__main__':
    run_cli(main)

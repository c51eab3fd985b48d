"""tools/dataset_converters/reference_to_custom_json.py on a small reference
layout made from the synthetic refer set as the reference's data_process.py
makes it."""
import importlib.util
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmris.datasets import RISCustomDataset
from mmris.datasets.refcoco import load_refs
from mmris.synthetic import generate_synthetic_refcoco
from mmris.utils import UsageError

TOOL = 'dataset_converters/reference_to_custom_json.py'


def _decode(segmentation, height, width):
    if isinstance(segmentation, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    else:
        rle = dict(segmentation, counts=segmentation['counts'].encode())
    return mask_utils.decode(rle)


@pytest.fixture(scope='module')
def reference_root(tmp_path_factory):
    """anns/refcoco/<split>.json, masks/refcoco/<ref_id>.png (0/255) and
    images/train2014/, as the reference's tools/data_process.py writes them."""
    coco = tmp_path_factory.mktemp('coco')
    generate_synthetic_refcoco(str(coco), num_images=8, size=64, seed=2)
    root = tmp_path_factory.mktemp('reference')
    shutil.copytree(coco / 'train2014', root / 'images' / 'train2014')
    instances = json.loads((coco / 'refcoco' / 'instances.json').read_text())
    anns = {ann['id']: ann for ann in instances['annotations']}
    images = {image['id']: image for image in instances['images']}
    (root / 'anns' / 'refcoco').mkdir(parents=True)
    (root / 'masks' / 'refcoco').mkdir(parents=True)
    splits = {}
    for ref in load_refs(str(coco / 'refcoco' / 'refs(unc).p')):
        ann, image = anns[ref['ann_id']], images[ref['image_id']]
        mask = _decode(ann['segmentation'], image['height'], image['width'])
        cv2.imwrite(str(root / 'masks' / 'refcoco' / f'{ref["ref_id"]}.png'), mask * 255)
        x, y, w, h = map(int, ann['bbox'])
        splits.setdefault(ref['split'], []).append(dict(
            bbox=[x, y, x + w, y + h], cat=ref['category_id'] - 1, segment_id=ref['ref_id'],
            img_name=image['file_name'],
            sentences=[dict(idx=i, sent_id=s['sent_id'], sent=s['sent'].strip())
                       for i, s in enumerate(ref['sentences'])],
            sentences_num=len(ref['sentences'])))
    for split, entries in splits.items():
        (root / 'anns' / 'refcoco' / f'{split}.json').write_text(json.dumps(entries))
    return root


def _tool_module():
    path = Path(__file__).resolve().parents[2] / 'tools' / TOOL
    spec = importlib.util.spec_from_file_location('reference_to_custom_json', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_converts_a_split_that_ris_custom_dataset_reads(run_tool, reference_root, tmp_path):
    out = tmp_path / 'out' / 'refcoco_train.json'
    result = run_tool(TOOL, reference_root, 'refcoco', 'train', out,
                      '--image-dir', 'images/train2014')
    assert result.returncode == 0, result.stdout[-2000:]
    entries = json.loads((reference_root / 'anns' / 'refcoco' / 'train.json').read_text())
    content = json.loads(out.read_text())
    assert content['metainfo']['dataset_name'] == 'refcoco'
    assert result.last_line == (f'wrote {len(entries)} refs with '
                                f'{sum(e["sentences_num"] for e in entries)} expressions of '
                                f'refcoco train to {out}')
    assert len(content['data_list']) == len(entries)
    for item, entry in zip(content['data_list'], entries, strict=True):
        assert item == dict(img_path=f'images/train2014/{entry["img_name"]}',
                            mask=f'masks/refcoco/{entry["segment_id"]}.png',
                            expressions=[s['sent'] for s in entry['sentences']],
                            ref_id=entry['segment_id'])

    dataset = RISCustomDataset(
        data_root=str(reference_root), ann_file=str(out), mode='test',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadRISAnnotations')])
    assert len(dataset) == sum(e['sentences_num'] for e in entries)
    results = dataset[0]
    png = cv2.imread(str(reference_root / content['data_list'][0]['mask']), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(results['gt_seg_map'], (png > 0).astype(np.uint8))
    assert results['text'] == content['data_list'][0]['expressions'][0]


def test_an_out_json_that_cannot_be_written_is_refused_before_converting(run_tool, tmp_path):
    # REF_ROOT does not exist: converting would be another error.
    folder, a_file = tmp_path / 'folder', tmp_path / 'a_file'
    folder.mkdir()
    a_file.write_text('kept')
    result = run_tool(TOOL, tmp_path / 'no_ref_root', 'refcoco', 'val', folder)
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line == f"error: OUT_JSON '{folder}' is a folder; pass a file name"
    under_a_file = a_file / 'val.json'
    result = run_tool(TOOL, tmp_path / 'no_ref_root', 'refcoco', 'val', under_a_file)
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line == (f"error: OUT_JSON '{under_a_file}' cannot be written: "
                                f"'{a_file}' is a file, not a folder; pick a path in a folder "
                                f'you can write to')
    assert a_file.read_text() == 'kept' and not any(folder.iterdir())


def test_missing_masks_are_an_error_naming_them(run_tool, reference_root, tmp_path):
    root = tmp_path / 'damaged'
    shutil.copytree(reference_root / 'anns', root / 'anns')
    shutil.copytree(reference_root / 'masks', root / 'masks')
    entries = json.loads((root / 'anns' / 'refcoco' / 'val.json').read_text())
    gone = [entry['segment_id'] for entry in entries[:2]]
    for segment_id in gone:
        (root / 'masks' / 'refcoco' / f'{segment_id}.png').unlink()
    out = tmp_path / 'val.json'
    result = run_tool(TOOL, root, 'refcoco', 'val', out)
    assert result.returncode == 2
    assert result.last_line.startswith(
        f'error: {len(gone)} of {len(entries)} mask PNGs are missing under {root}: '
        f'masks/refcoco/{gone[0]}.png, masks/refcoco/{gone[1]}.png')
    assert not out.exists()


def test_unknown_split_or_dataset_names_what_is_there(reference_root):
    convert = _tool_module().convert
    with pytest.raises(UsageError, match='the splits of refcoco are testA, testB, train, val'):
        convert(str(reference_root), 'refcoco', 'test')
    with pytest.raises(UsageError, match=r'anns/ holds refcoco'):
        convert(str(reference_root), 'refcoco+', 'val')
    content = convert(str(reference_root), 'refcoco', 'testA')
    assert content['data_list'][0]['img_path'].startswith('train2014/')

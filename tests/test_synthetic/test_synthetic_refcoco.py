"""The synthetic refer set: the refer files load and agree, masks cover the
drawn shapes, expressions are true of the drawing and pick out one shape."""
import json
from collections import Counter

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmris.datasets.refcoco import load_refs
from mmris.synthetic import generate_synthetic_refcoco
from mmris.synthetic.refcoco import SPLITS
from mmris.synthetic.shape_scenes import COLOURS, SHAPES

RELATIONS = {  # as the expressions word them; all need the boxes apart
    'to the left of': lambda a, b: a['x2'] < b['x1'],
    'to the right of': lambda a, b: b['x2'] < a['x1'],
    'left of': lambda a, b: a['x2'] < b['x1'],
    'right of': lambda a, b: b['x2'] < a['x1'],
    'above': lambda a, b: a['y2'] < b['y1'],
    'below': lambda a, b: b['y2'] < a['y1'],
    'under': lambda a, b: b['y2'] < a['y1'],
}
SIDES = {'on the left': ('cx', -1), 'on the right': ('cx', 1),
         'at the top': ('cy', -1), 'at the bottom': ('cy', 1)}


@pytest.fixture(scope='module')
def refcoco_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic_refcoco')
    summary = generate_synthetic_refcoco(str(root), num_images=40, size=96, seed=3)
    return root, summary


def _load(root):
    with open(root / 'refcoco' / 'instances.json') as f:
        instances = json.load(f)
    return instances, load_refs(str(root / 'refcoco' / 'refs(unc).p'))


def _decode(ann, image):
    segmentation = ann['segmentation']
    if isinstance(segmentation, list):
        rle = mask_utils.merge(
            mask_utils.frPyObjects(segmentation, image['height'], image['width']))
    else:
        rle = dict(segmentation, counts=segmentation['counts'].encode())
    return mask_utils.decode(rle).astype(bool)


def _objects(root, instances):
    """Every annotation with its measured colour, shape name and box, by image."""
    images = {image['id']: image for image in instances['images']}
    categories = {c['id']: c['name'] for c in instances['categories']}
    pixels = {}
    by_image = {}
    for ann in instances['annotations']:
        image = images[ann['image_id']]
        if image['id'] not in pixels:
            bgr = cv2.imread(str(root / 'train2014' / image['file_name']))
            pixels[image['id']] = bgr[..., ::-1].astype(np.float32)
        mask = _decode(ann, image)
        inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        mean = pixels[image['id']][inner if inner.any() else mask].mean(axis=0)
        colour = min(COLOURS, key=lambda name: np.linalg.norm(mean - COLOURS[name]))
        x, y, w, h = ann['bbox']
        by_image.setdefault(image['id'], []).append(dict(
            id=ann['id'], mask=mask, mean=mean, colour=colour, shape=categories[ann['category_id']],
            x1=x, y1=y, x2=x + w, y2=y + h, cx=x + w / 2, cy=y + h / 2))
    return by_image


def _resolve(text, objects):
    """The objects that ``text`` fits, read the way the generator words it."""
    for words, holds in RELATIONS.items():
        if f' {words} ' in f' {text} ':
            head, tail = f' {text} '.split(f' {words} ', 1)
            anchors = _resolve(tail.strip(), objects)
            assert len(anchors) == 1, f'{tail!r} in {text!r} fits {len(anchors)} objects'
            return [o for o in _resolve(head.strip(), objects)
                    if o is not anchors[0] and holds(o, anchors[0])]
    for words, (key, sign) in SIDES.items():
        if text.endswith(words):
            fits = _resolve(text[:-len(words)].strip(), objects)
            pool = fits if len(fits) > 1 else objects
            return [o for o in fits
                    if all(sign * (o[key] - p[key]) > 0 for p in pool if p is not o)]
    words = text.split()
    colours = [w for w in words if w in COLOURS]
    shapes = [w for w in words if w in SHAPES]
    assert colours or shapes, f'{text!r} names no colour or shape'
    return [o for o in objects
            if all(o['colour'] == c for c in colours) and all(o['shape'] == s for s in shapes)]


def test_files_splits_and_summary(refcoco_root):
    root, summary = refcoco_root
    instances, refs = _load(root)
    assert len(list((root / 'train2014').glob('COCO_train2014_*.jpg'))) == 40
    assert set(summary) == set(SPLITS)
    assert sum(s['images'] for s in summary.values()) == len(instances['images']) == 40
    assert all(s['images'] >= 1 and s['refs'] >= 1 for s in summary.values())
    assert summary['train']['images'] == 28
    for split in SPLITS:
        in_split = [ref for ref in refs if ref['split'] == split]
        assert summary[split]['refs'] == len(in_split)
        assert summary[split]['sentences'] == sum(len(ref['sentences']) for ref in in_split)
    # A split is a set of whole images.
    split_of_image = {}
    for ref in refs:
        assert split_of_image.setdefault(ref['image_id'], ref['split']) == ref['split']
    sizes = {(image['width'], image['height']) for image in instances['images']}
    assert all(60 <= side <= 96 for size in sizes for side in size)
    assert sum(w != h for w, h in sizes) > len(sizes) // 2


def test_refs_agree_with_instances(refcoco_root):
    root, _ = refcoco_root
    instances, refs = _load(root)
    anns = {ann['id']: ann for ann in instances['annotations']}
    images = {image['id']: image for image in instances['images']}
    assert len(anns) == len(instances['annotations'])
    assert len({ref['ref_id'] for ref in refs}) == len(refs)
    sent_ids = [s['sent_id'] for ref in refs for s in ref['sentences']]
    assert len(set(sent_ids)) == len(sent_ids)
    for ref in refs:
        assert set(ref) == {'ref_id', 'ann_id', 'image_id', 'split', 'sentences', 'file_name',
                            'category_id', 'sent_ids'}
        ann = anns[ref['ann_id']]
        assert ann['image_id'] == ref['image_id'] and ann['category_id'] == ref['category_id']
        assert ref['file_name'] == images[ref['image_id']]['file_name'][:-4] + f'_{ann["id"]}.jpg'
        assert ref['sent_ids'] == [s['sent_id'] for s in ref['sentences']]
        assert 2 <= len(ref['sentences']) <= 3
        for sentence in ref['sentences']:
            assert set(sentence) == {'tokens', 'raw', 'sent_id', 'sent'}
            assert sentence['sent'] == sentence['sent'].lower().strip()
            assert sentence['tokens'] == sentence['sent'].split()
            assert sentence['raw'].lower().strip().rstrip('.! ') == sentence['sent']
    assert any(s['raw'] != s['sent'] for ref in refs for s in ref['sentences'])
    # Some shapes are left as unreferred distractors.
    assert len({ref['ann_id'] for ref in refs}) < len(anns)


def test_both_encodings_and_masks_cover_the_drawn_colour(refcoco_root):
    root, _ = refcoco_root
    instances, _ = _load(root)
    images = {image['id']: image for image in instances['images']}
    categories = {c['id']: c['name'] for c in instances['categories']}
    kinds = Counter()
    for ann in instances['annotations']:
        circle = categories[ann['category_id']] == 'circle'
        if circle:
            assert isinstance(ann['segmentation'], dict)
            assert isinstance(ann['segmentation']['counts'], str)
            assert ann['segmentation']['size'] == [images[ann['image_id']]['height'],
                                                   images[ann['image_id']]['width']]
        else:
            assert isinstance(ann['segmentation'], list) and len(ann['segmentation'][0]) >= 6
        kinds['rle' if circle else 'polygon'] += 1
        mask = _decode(ann, images[ann['image_id']])
        assert mask.sum() == pytest.approx(ann['area'], abs=1)
        ys, xs = np.nonzero(mask)
        x, y, w, h = ann['bbox']
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == pytest.approx(
            (x, y, x + w, y + h), abs=1)
    assert kinds['rle'] > 0 and kinds['polygon'] > 0
    for objects in _objects(root, instances).values():
        assert 2 <= len(objects) <= 4
        for obj in objects:
            assert obj['mask'].any()
            # The shape's pixels are one named colour, within JPEG's error.
            assert np.abs(obj['mean'] - COLOURS[obj['colour']]).max() < 25, obj['mean']
            ring = cv2.dilate(obj['mask'].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
            assert not any((other['mask'] & ring).any() for other in objects if other is not obj)
        pairs = [(o['colour'], o['shape']) for o in objects]
        assert len(set(pairs)) == len(pairs)


def test_expressions_are_true_and_pick_out_their_object(refcoco_root):
    root, _ = refcoco_root
    instances, refs = _load(root)
    by_image = _objects(root, instances)
    kinds = Counter()
    for ref in refs:
        objects = by_image[ref['image_id']]
        target = next(o for o in objects if o['id'] == ref['ann_id'])
        assert len({s['sent'] for s in ref['sentences']}) == len(ref['sentences'])
        for sentence in ref['sentences']:
            text = sentence['sent']
            # The words before any relation are about the object itself.
            head = text
            for words in RELATIONS:
                head = head.split(f' {words} ')[0]
            assert target['colour'] in head.split() or target['shape'] in head.split(), text
            assert _resolve(text, objects) == [target], (ref['image_id'], text)
            kinds['relation' if head != text else
                  'side' if any(text.endswith(w) for w in SIDES) else 'name'] += 1
    assert min(kinds.values()) > 0.15 * sum(kinds.values()), kinds


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    names = ['refcoco/instances.json', 'refcoco/refs(unc).p',
             'train2014/COCO_train2014_000000000003.jpg']
    for out, seed in (('a', 7), ('b', 7), ('c', 8)):
        generate_synthetic_refcoco(str(tmp_path / out), num_images=6, size=64, seed=seed)
    for name in names:
        assert (tmp_path / 'a' / name).read_bytes() == (tmp_path / 'b' / name).read_bytes()
        assert (tmp_path / 'a' / name).read_bytes() != (tmp_path / 'c' / name).read_bytes()


def test_four_images_give_every_split_one(tmp_path):
    summary = generate_synthetic_refcoco(str(tmp_path), num_images=4, size=48, seed=0)
    assert [summary[split]['images'] for split in SPLITS] == [1, 1, 1, 1]
    with pytest.raises(ValueError, match='at least 4'):
        generate_synthetic_refcoco(str(tmp_path), num_images=3)


def test_refcoco_dataset_reads_it(refcoco_root):
    from mmris.datasets import RefCOCODataset
    root, summary = refcoco_root
    dataset = RefCOCODataset(
        data_root=str(root), ann_file='refcoco/instances.json', split_file='refcoco/refs(unc).p',
        split='testB', mode='test',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadRISAnnotations')])
    assert len(dataset) == summary['testB']['sentences']
    for index in range(len(dataset)):
        results = dataset[index]
        mask = results['gt_seg_map'].astype(bool)
        assert mask.shape == results['img'].shape[:2] and mask.any()
        colour = results['img'][mask].astype(np.float32).mean(axis=0)[::-1]  # BGR -> RGB
        assert min(np.abs(colour - c).max() for c in COLOURS.values()) < 40


def test_cli_writes_the_set_and_refuses_bad_sizes(run_tool, tmp_path):
    result = run_tool('dataset_converters/make_synthetic_refcoco.py', '--out', tmp_path,
                      '--num-images', 5, '--size', 64, '--seed', 1)
    assert result.returncode == 0, result.stdout[-2000:]
    assert result.last_line == f'wrote 5 images to {tmp_path}'
    assert (tmp_path / 'refcoco' / 'refs(unc).p').is_file()
    assert len(list((tmp_path / 'train2014').iterdir())) == 5
    result = run_tool('dataset_converters/make_synthetic_refcoco.py', '--out', tmp_path,
                      '--num-images', 3)
    assert result.returncode == 2
    assert result.last_line.startswith('error: --num-images must be at least 4')


def test_cli_refuses_a_real_data_root_unless_overwrite(run_tool, tmp_path):
    real = tmp_path / 'refcoco' / 'instances.json'
    real.parent.mkdir()
    real.write_text('{"images": [], "annotations": []}')
    tool, options = 'dataset_converters/make_synthetic_refcoco.py', ('--num-images', 4)
    result = run_tool(tool, '--out', tmp_path, *options)
    assert result.returncode == 2, result.stdout[-2000:]
    assert result.last_line.startswith(f"error: output folder '{tmp_path}' already holds "
                                       f"'refcoco/instances.json'")
    assert '--overwrite' in result.last_line and 'Traceback' not in result.stdout
    assert real.read_text() == '{"images": [], "annotations": []}'
    assert not (tmp_path / 'train2014').exists()
    for flags in (['--overwrite'], []):  # the second run rewrites its own output
        result = run_tool(tool, '--out', tmp_path, *options, *flags)
        assert result.returncode == 0, result.stdout[-2000:]
        assert len(json.loads(real.read_text())['images']) == 4


def test_entries_carry_the_coco_box_for_referring_detection(refcoco_root):
    from mmris.datasets import RefCOCODataset
    root = refcoco_root[0]
    dataset = RefCOCODataset(data_root=str(root), ann_file='refcoco/instances.json',
                             split_file='refcoco/refs(unc).p', split='val', mode='test',
                             pipeline=[])
    boxes = {ann['id']: ann['bbox'] for ann in _load(root)[0]['annotations']}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        x, y, w, h = boxes[info['ann_id']]
        assert info['instances'] == [dict(bbox=[x, y, x + w, y + h], bbox_label=0,
                                          ignore_flag=0)]

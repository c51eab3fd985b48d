"""tools/dataset_converters/check_refcoco_layout.py and the layout table it
shares with the configs, on the synthetic refer set and damaged copies."""
import json
import pickle
import shutil

import pytest

from mmris.datasets.refcoco import load_refs
from mmris.datasets.refcoco_layout import REFCOCO_SPLITS, check_layout, format_report, refer_files
from mmris.synthetic import generate_synthetic_refcoco

TOOL = 'dataset_converters/check_refcoco_layout.py'


@pytest.fixture(scope='module')
def coco_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('coco')
    summary = generate_synthetic_refcoco(str(root), num_images=10, size=64, seed=4)
    return root, summary


@pytest.fixture
def damaged_root(coco_root, tmp_path):
    """A copy with one ref's annotation and another ref's image removed, and
    a refcoco+ folder without its refs file. Returns the root, the removed
    annotation id and the removed image name."""
    source, _ = coco_root
    root = tmp_path / 'coco'
    shutil.copytree(source, root)
    refs = load_refs(str(root / 'refcoco' / 'refs(unc).p'))
    instances = json.loads((root / 'refcoco' / 'instances.json').read_text())
    gone_ann = refs[0]['ann_id']
    instances['annotations'] = [a for a in instances['annotations'] if a['id'] != gone_ann]
    (root / 'refcoco' / 'instances.json').write_text(json.dumps(instances))
    image = next(i for i in instances['images'] if i['id'] == refs[-1]['image_id'])
    (root / 'train2014' / image['file_name']).unlink()
    (root / 'refcoco+').mkdir()
    shutil.copy(root / 'refcoco' / 'instances.json', root / 'refcoco+' / 'instances.json')
    return root, gone_ann, image['file_name']


def test_refer_files_name_each_dataset():
    assert refer_files('', 'refcoco') == ('refcoco/instances.json', 'refcoco/refs(unc).p')
    assert refer_files('data/coco', 'refcoco+').split_file == 'data/coco/refcoco+/refs(unc).p'
    assert refer_files('', 'refcocog_umd') == ('refcocog/instances.json', 'refcocog/refs(umd).p')
    assert refer_files('', 'refcocog_google').split_file == 'refcocog/refs(google).p'
    assert REFCOCO_SPLITS['refcocog_umd'] == ('train', 'val', 'test')
    assert REFCOCO_SPLITS['refcocog_google'] == ('train', 'val')
    with pytest.raises(ValueError, match='known: refcoco, refcoco'):
        refer_files('', 'refclef')


def test_synthetic_set_is_ok(coco_root, run_tool):
    root, summary = coco_root
    report = check_layout(str(root), ['refcoco'], check_images=True)
    assert report.ok, report.problems
    (dataset,) = report.datasets
    assert dataset.splits == {split: (counts['refs'], counts['sentences'])
                              for split, counts in summary.items()}
    assert dataset.missing_images == [] and dataset.num_images_checked == 10
    assert dataset.other_splits == {}

    result = run_tool(TOOL, '--data-root', root, '--datasets', 'refcoco', '--check-images')
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.last_line == 'OK'
    row = next(line for line in result.stdout.splitlines() if line.startswith('refcoco '))
    assert row.split()[1:5] == ['refcoco/instances.json', 'ok', 'refcoco/refs(unc).p', 'ok']
    assert row.split()[-1] == '0/10'
    for split, counts in summary.items():
        assert f'refcoco          {split:<14} {counts["refs"]:>6} {counts["sentences"]:>9}' \
            in result.stdout

    # The docs' command as printed, on a RefCOCO-only tree: only what is there is checked.
    result = run_tool(TOOL, '--data-root', root, '--check-images')
    assert result.returncode == 0 and result.last_line == 'OK', result.stdout[-3000:]
    assert not any(line.startswith(('refcoco+ ', 'refcocog')) for line in result.stdout.splitlines())


def test_damaged_copy_lists_every_problem(damaged_root, run_tool):
    root, gone_ann, gone_image = damaged_root
    result = run_tool(TOOL, '--data-root', root, '--datasets', 'refcoco', 'refcoco+',
                      '--check-images')
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line.startswith('error: 3 problems: ')
    assert (f'refcoco: 1 annotation id(s) of refs not in refcoco/instances.json '
            f'(e.g. {gone_ann})') in result.stdout
    assert f'refcoco: 1 of 10 images not in train2014/ (e.g. {gone_image})' in result.stdout
    assert 'refcoco+: refcoco+/refs(unc).p is missing' in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith('refcoco+ '))
    assert row.split()[1:5] == ['refcoco+/instances.json', 'ok', 'refcoco+/refs(unc).p', 'missing']


def test_default_datasets_and_unreadable_files(damaged_root):
    root, _, _ = damaged_root
    (root / 'refcoco+' / 'refs(unc).p').write_bytes(b'not a pickle')
    (root / 'refcocog').mkdir()
    (root / 'refcocog' / 'instances.json').write_text('{"images": [')
    # A refs file that would run code when loaded is refused, not run.
    (root / 'refcocog' / 'refs(umd).p').write_bytes(pickle.dumps(shutil.copy))
    report = check_layout(str(root))
    by_name = {d.name: d for d in report.datasets}
    assert list(by_name) == ['refcoco', 'refcoco+', 'refcocog_umd', 'refcocog_google']
    assert by_name['refcoco+'].refs_status == 'unreadable'
    assert by_name['refcocog_umd'].ann_status == 'unreadable'
    assert by_name['refcocog_umd'].refs_status == 'unreadable'
    assert 'may not name shutil.copy; refusing' in ' '.join(by_name['refcocog_umd'].problems)
    assert by_name['refcocog_google'].problems == [
        'refcocog/instances.json could not be read (JSONDecodeError: Expecting value: '
        'line 1 column 13 (char 12))', 'refcocog/refs(google).p is missing']
    assert by_name['refcoco'].missing_images is None  # not asked for
    text = format_report(report)
    assert f'{len(report.problems)} problems:' in text and 'not checked' in text


@pytest.mark.parametrize('instances,what', [
    ({'images': [], 'annotations': 5}, "'annotations' is 5, not a list"),
    ({'images': [{'id': 1, 'file_name': 'a.jpg'}], 'annotations': [{'id': 7}, {'area': 3}]},
     "annotations[1] has no 'id' (it is {'area': 3})"),
    ({'images': [{'id': 1}], 'annotations': []}, "images[0] has no 'file_name' (it is {'id': 1})"),
    ({'images': ['a.jpg'], 'annotations': []},
     "images[0] has no 'id' or 'file_name' (it is a.jpg)"),
    ([1, 2], 'it holds [1, 2], not a JSON object'),
])
def test_malformed_instances_are_a_problem_of_that_file(coco_root, tmp_path, run_tool,
                                                        instances, what):
    source, _ = coco_root
    root = tmp_path / 'coco'
    shutil.copytree(source / 'refcoco', root / 'refcoco')
    (root / 'refcoco' / 'instances.json').write_text(json.dumps(instances))
    report = check_layout(str(root), ['refcoco'])
    assert report.datasets[0].ann_status == 'unreadable'
    assert report.problems == [f'refcoco: refcoco/instances.json could not be read '
                               f'(ValueError: {what})']
    if isinstance(instances, dict) and instances['annotations'] == 5:
        result = run_tool(TOOL, '--data-root', root, '--datasets', 'refcoco')
        assert result.returncode == 2 and 'Traceback' not in result.stdout, result.stdout
        assert f'refcoco: refcoco/instances.json could not be read (ValueError: {what})' \
            in result.stdout


def test_empty_and_unexpected_splits(coco_root, tmp_path):
    source, _ = coco_root
    root = tmp_path / 'coco'
    shutil.copytree(source / 'refcoco', root / 'refcoco')
    refs = load_refs(str(root / 'refcoco' / 'refs(unc).p'))
    for ref in refs:
        ref['split'] = {'testB': 'testC'}.get(ref['split'], ref['split'])
    (root / 'refcoco' / 'refs(unc).p').write_bytes(pickle.dumps(refs))
    report = check_layout(str(root), ['refcoco'])
    assert report.problems == ['refcoco: split testB has no refs']
    assert report.datasets[0].splits['testB'] == (0, 0)
    assert report.datasets[0].other_splits == {'testC': sum(r['split'] == 'testC' for r in refs)}


def test_missing_data_root_is_a_usage_error(run_tool, tmp_path):
    result = run_tool(TOOL, '--data-root', tmp_path / 'nowhere')
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: data root '{tmp_path / 'nowhere'}' is not a folder")

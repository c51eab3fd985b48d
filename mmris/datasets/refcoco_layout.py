"""Where the RefCOCO family lives under a data root, and a check of it.

The refer releases laid out as mmdet's configs expect (``data/coco``)::

    train2014/COCO_train2014_*.jpg
    refcoco/instances.json     refcoco/refs(unc).p
    refcoco+/instances.json    refcoco+/refs(unc).p
    refcocog/instances.json    refcocog/refs(umd).p  refcocog/refs(google).p
    grefcoco/instances.json    grefcoco/grefs(unc).json

(gRefCOCO's refs are JSON and a ref's ``ann_id`` is a list, ``[-1]`` for
no target; it is checked when named, not by default.)
:data:`REFCOCO_FILES` and :func:`refer_files` name the files of each data
set, :data:`REFCOCO_SPLITS` its splits; :func:`check_layout` looks at a
data root and returns a :class:`LayoutReport` of what is there and what is
wrong, which :func:`format_report` prints as a table
(``tools/dataset_converters/check_refcoco_layout.py``).
"""
import json
import os
import os.path as osp
from collections import Counter, namedtuple
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from mmengine.utils import ProgressBar

from mmris.utils.errors import DatasetError

#: data set name -> (folder under the data root, refs split-by)
REFCOCO_FILES = {
    'refcoco': ('refcoco', 'unc'),
    'refcoco+': ('refcoco+', 'unc'),
    'refcocog_umd': ('refcocog', 'umd'),
    'refcocog_google': ('refcocog', 'google'),
    'grefcoco': ('grefcoco', 'unc'),
}
#: the data sets checked when none are named: the RefCOCO family
DEFAULT_DATASETS = ('refcoco', 'refcoco+', 'refcocog_umd', 'refcocog_google')
#: data set name -> its splits (the google split of RefCOCOg has no test)
REFCOCO_SPLITS = {
    'refcoco': ('train', 'val', 'testA', 'testB'),
    'refcoco+': ('train', 'val', 'testA', 'testB'),
    'refcocog_umd': ('train', 'val', 'test'),
    'refcocog_google': ('train', 'val'),
    'grefcoco': ('train', 'val', 'testA', 'testB'),
}
#: the image folder under the data root
IMAGE_DIR = 'train2014'

ReferFiles = namedtuple('ReferFiles', ['ann_file', 'split_file'])
ReferFiles.__doc__ = 'The COCO ``instances.json`` and the ``refs(*).p`` of one data set.'


def refer_files(data_root: str, dataset: str) -> ReferFiles:
    """The files of ``dataset`` under ``data_root``.

    With ``data_root=''`` the paths are relative, as configs write them::

        >>> refer_files('', 'refcocog_umd')
        ReferFiles(ann_file='refcocog/instances.json', split_file='refcocog/refs(umd).p')
    """
    if dataset not in REFCOCO_FILES:
        raise ValueError(f'unknown data set {dataset!r}; known: {", ".join(REFCOCO_FILES)}')
    folder, split_by = REFCOCO_FILES[dataset]
    refs = f'grefs({split_by}).json' if dataset == 'grefcoco' else f'refs({split_by}).p'
    return ReferFiles(osp.join(data_root, folder, 'instances.json'),
                      osp.join(data_root, folder, refs))


@dataclass
class DatasetReport:
    """What :func:`check_layout` found for one data set.

    ``*_status`` is ``'ok'``, ``'missing'`` or ``'unreadable'``; counts are
    None where the file could not be read; ``missing_images`` is None when
    images were not checked.
    """
    name: str
    ann_file: str
    split_file: str
    ann_status: str = 'missing'
    refs_status: str = 'missing'
    num_images: Optional[int] = None
    num_annotations: Optional[int] = None
    num_refs: Optional[int] = None
    num_sentences: Optional[int] = None
    splits: Dict[str, tuple] = field(default_factory=dict)  # split -> (refs, sentences)
    other_splits: Dict[str, int] = field(default_factory=dict)  # unexpected split -> refs
    missing_ann_ids: List[int] = field(default_factory=list)
    missing_image_ids: List[int] = field(default_factory=list)
    missing_images: Optional[List[str]] = None
    num_images_checked: int = 0
    problems: List[str] = field(default_factory=list)


@dataclass
class LayoutReport:
    """The reports of all checked data sets under ``data_root``."""
    data_root: str
    datasets: List[DatasetReport]
    check_images: bool = False

    @property
    def problems(self) -> List[str]:
        return [f'{d.name}: {problem}' for d in self.datasets for problem in d.problems]

    @property
    def ok(self) -> bool:
        return not self.problems


def _examples(items: Sequence, count: int = 3) -> str:
    shown = ', '.join(str(item) for item in list(items)[:count])
    return shown + (', ...' if len(items) > count else '')


#: what the check reads of each item of an instances file's lists
_INSTANCE_FIELDS = {'images': ('id', 'file_name'), 'annotations': ('id', )}


def _check_instances(instances) -> None:
    """ValueError saying what keeps ``instances`` (a loaded
    ``instances.json``) from being read as COCO instances by the check."""
    if not isinstance(instances, dict):
        raise ValueError(f'it holds {str(instances)[:40]}, not a JSON object')
    missing = [key for key in _INSTANCE_FIELDS if key not in instances]
    if missing:
        raise ValueError(f'no {" or ".join(repr(k) for k in missing)} list')
    for key, fields in _INSTANCE_FIELDS.items():
        items = instances[key]
        if not isinstance(items, list):
            raise ValueError(f'{key!r} is {str(items)[:40]}, not a list')
        for index, item in enumerate(items):
            lacking = [name for name in fields if not isinstance(item, dict) or name not in item]
            if lacking:
                raise ValueError(f'{key}[{index}] has no {" or ".join(map(repr, lacking))} '
                                 f'(it is {str(item)[:40]})')


def _load_instances(path: str, cache: dict):
    """(instances, error) for ``path``, read once per check."""
    if path not in cache:
        try:
            with open(path) as file:
                instances = json.load(file)
            _check_instances(instances)
            cache[path] = (instances, None)
        except (OSError, ValueError, TypeError) as error:
            cache[path] = (None, f'{type(error).__name__}: {error}')
    return cache[path]


def _check_dataset(data_root: str, name: str, check_images: bool, instance_cache: dict,
                   image_files: dict) -> DatasetReport:
    # here, so refcoco.py may import this module
    from .base_ris_dataset import load_json
    from .grefcoco import NO_TARGET, target_ids
    from .refcoco import load_refs, refs_in_split

    ann_file, split_file = refer_files(data_root, name)
    report = DatasetReport(name, osp.relpath(ann_file, data_root),
                           osp.relpath(split_file, data_root))
    problems = report.problems

    instances = None
    if osp.isfile(ann_file):
        instances, error = _load_instances(ann_file, instance_cache)
        if error:
            report.ann_status = 'unreadable'
            problems.append(f'{report.ann_file} could not be read ({error})')
        else:
            report.ann_status = 'ok'
            report.num_images = len(instances['images'])
            report.num_annotations = len(instances['annotations'])
    else:
        problems.append(f'{report.ann_file} is missing')

    refs = None
    if osp.isfile(split_file):
        try:
            refs = load_json(split_file) if split_file.endswith('.json') else load_refs(split_file)
            if not isinstance(refs, list) or not all(
                    isinstance(ref, dict) and {'ref_id', 'ann_id', 'image_id', 'split', 'sentences'}
                    <= set(ref) for ref in refs):
                raise ValueError('not a list of refs with ref_id, ann_id, image_id, split, '
                                 'sentences')
            report.refs_status = 'ok'
        except Exception as error:  # a damaged pickle raises about anything
            refs = None
            report.refs_status = 'unreadable'
            problems.append(f'{report.split_file} could not be read ({type(error).__name__}: '
                            f'{error})')
    else:
        problems.append(f'{report.split_file} is missing')
    if refs is None:
        return report

    report.num_refs = len(refs)
    report.num_sentences = sum(len(ref['sentences']) for ref in refs)
    expected = REFCOCO_SPLITS[name]
    for split in expected:
        in_split = refs_in_split(refs, split)
        report.splits[split] = (len(in_split), sum(len(ref['sentences']) for ref in in_split))
        if not in_split:
            problems.append(f'split {split} has no refs')
    covered = {ref['split'] for split in expected for ref in refs_in_split(refs, split)}
    report.other_splits = dict(sorted(
        Counter(ref['split'] for ref in refs if ref['split'] not in covered).items()))
    if instances is None:
        return report

    ann_ids = {ann['id'] for ann in instances['annotations']}
    images = {image['id']: image for image in instances['images']}
    referred = {ann_id for ref in refs
                for ann_id in (ref['ann_id'] if isinstance(ref['ann_id'], list) else [ref['ann_id']])}
    report.missing_ann_ids = sorted(referred - ann_ids - {NO_TARGET})
    if report.missing_ann_ids:
        problems.append(f'{len(report.missing_ann_ids)} annotation id(s) of refs not in '
                        f'{report.ann_file} (e.g. {_examples(report.missing_ann_ids)})')
    malformed = []  # refs GRefCOCODataset refuses: -1 beside targets, or no id at all
    for ref in refs:
        try:
            target_ids(ref, report.split_file)
        except DatasetError:
            malformed.append(ref['ref_id'])
    if malformed:
        problems.append(f'{len(malformed)} ref(s) of {report.split_file} whose ann_id lists -1 '
                        f'(no target) together with targets, or is empty (e.g. ref ids '
                        f'{_examples(malformed)}); a no-target ref has ann_id [-1] alone')
    report.missing_image_ids = sorted(
        {ref['image_id'] for ref in refs if ref['image_id'] not in images})
    if report.missing_image_ids:
        problems.append(f'{len(report.missing_image_ids)} image id(s) of refs not in '
                        f'{report.ann_file} (e.g. {_examples(report.missing_image_ids)})')

    if check_images:
        image_dir = osp.join(data_root, IMAGE_DIR)
        if image_dir not in image_files:
            image_files[image_dir] = set(os.listdir(image_dir)) if osp.isdir(image_dir) else None
        present = image_files[image_dir]
        if present is None:
            problems.append(f'the image folder {IMAGE_DIR}/ is missing')
            return report
        names = sorted({images[ref['image_id']]['file_name'] for ref in refs
                        if ref['image_id'] in images})
        report.missing_images = []
        print(f'checking the {len(names)} images of {name} in {IMAGE_DIR}/')
        progress = ProgressBar(len(names))
        for file_name in names:
            if file_name not in present and not osp.isfile(osp.join(image_dir, file_name)):
                report.missing_images.append(file_name)
            progress.update()
        print()
        report.num_images_checked = len(names)
        if report.missing_images:
            problems.append(f'{len(report.missing_images)} of {len(names)} images not in '
                            f'{IMAGE_DIR}/ (e.g. {_examples(report.missing_images)})')
    return report


def check_layout(data_root: str, datasets: Sequence[str] = DEFAULT_DATASETS,
                 check_images: bool = False) -> LayoutReport:
    """Check the refer files of ``datasets`` under ``data_root``.

    For each data set: its ``instances.json`` (lists of ``images`` with
    ``id`` and ``file_name``, of ``annotations`` with ``id``) and
    ``refs(*).p`` exist and load; each of its splits has refs; every ref's annotation and image id
    is in ``instances.json``; with ``check_images``, every image of a ref is
    in ``train2014/`` (with a progress bar).

    Returns:
        LayoutReport: ``report.ok`` is True when nothing is wrong;
        ``report.problems`` lists what is, one line each.
    """
    unknown = [name for name in datasets if name not in REFCOCO_FILES]
    if unknown:
        raise ValueError(f'unknown data set(s) {", ".join(map(repr, unknown))}; '
                         f'known: {", ".join(REFCOCO_FILES)}')
    instance_cache, image_files = {}, {}
    reports = [_check_dataset(data_root, name, check_images, instance_cache, image_files)
               for name in datasets]
    return LayoutReport(data_root, reports, check_images)


def _count(value) -> str:
    return '-' if value is None else str(value)


def format_report(report: LayoutReport) -> str:
    """``report`` as text: a table of files and counts, one of splits, and
    the problems."""
    lines = [f'data root: {report.data_root}', '']
    row = '{:<16} {:<24} {:<11} {:<24} {:<11} {:>6} {:>9} {:>12} {:>14}'
    lines.append(row.format('dataset', 'instances', 'status', 'refs', 'status', 'refs',
                            'sentences', 'missing anns', 'missing images'))
    for d in report.datasets:
        if d.missing_images is not None:
            images = f'{len(d.missing_images)}/{d.num_images_checked}'
        else:
            images = 'not checked' if not report.check_images else '-'
        anns = len(d.missing_ann_ids) if d.ann_status == 'ok' and d.refs_status == 'ok' else None
        lines.append(row.format(d.name, d.ann_file, d.ann_status, d.split_file, d.refs_status,
                                _count(d.num_refs), _count(d.num_sentences), _count(anns), images))
    split_rows = [(d.name, split, refs, sentences)
                  for d in report.datasets for split, (refs, sentences) in d.splits.items()]
    split_rows += [(d.name, f'{split} (other)', refs, '-')
                   for d in report.datasets for split, refs in d.other_splits.items()]
    if split_rows:
        lines += ['', '{:<16} {:<14} {:>6} {:>9}'.format('dataset', 'split', 'refs', 'sentences')]
        lines += ['{:<16} {:<14} {:>6} {:>9}'.format(*map(str, r)) for r in split_rows]
    problems = report.problems
    if problems:
        lines += ['', f'{len(problems)} problems:'] + [f'  - {problem}' for problem in problems]
    return '\n'.join(lines)

"""Pre-flight: check what a config needs on disk before any work starts.

A run that lacks its data or weights should stop in a second with one line
per missing piece, not after building the model (hundreds of log lines) or
once per rank under a launcher's banner. :func:`preflight` walks the
config as the runner would use it and raises :class:`MissingInputsError`
listing, for each missing path, the config key, the path, and what to
download or set:

- the dataloaders that the run reads (training: ``train_dataloader`` and,
  with a ``val_cfg``, ``val_dataloader``; testing: ``test_dataloader``):
  each dataset's ``data_root``, ``ann_file``, ``split_file`` and
  ``data_prefix`` folders, through dataset wrappers (``dataset``,
  ``datasets``);
- the weights that the model's config names (``*clip_weights``,
  ``pretrained``, ``init_cfg.checkpoint``), for training, where
  ``init_weights`` reads them;

Remote paths (``scheme://...``) are left to their loaders. The tools call
it after loading the config and checking the checkpoint they load
(``load_from``, ``--resume``, test.py's CHECKPOINT: ``require_checkpoint``);
``--preflight-only`` stops there, before any model is built: that is what
the multi-process launchers run once before starting the ranks, so a
missing input, like every error that the tools print as one ``error:``
line, is shown once.
"""
import os.path as osp
from typing import Iterator, List, Sequence, Tuple

from .errors import DatasetFileNotFoundError, UsageError

#: Where the docs say how to get what a config names.
DATA_DOC = 'docs/dataset_preparation.md'
WEIGHTS_DOC = 'docs/installation.md'

#: Dataset fields holding a file that must exist, relative to ``data_root``.
_DATASET_FILE_KEYS = ('ann_file', 'split_file')
#: Model config keys holding a local weights file or directory.
_WEIGHT_KEYS = ('clip_weights', 'pretrained')

Problem = Tuple[str, str, str]  # (config key, path, what to do)


class MissingInputsError(UsageError, DatasetFileNotFoundError):
    """Files or folders that a config names and that do not exist; one
    problem per line of the message."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        self.messages = [f'{key} {path!r} does not exist; {what}'
                         for key, path, what in self.problems]
        super().__init__(' | '.join(self.messages))

    def lines(self) -> List[str]:
        return self.messages


def _is_remote(path: str) -> bool:
    return '://' in path


def _join(root: str, path: str) -> str:
    return path if not root or osp.isabs(path) else osp.join(root, path)


def _leaf_datasets(dataset: dict, key: str) -> Iterator[Tuple[str, dict]]:
    """``(config key, dataset dict)`` of every dataset that reads files,
    through wrappers such as ``RepeatDataset`` (``dataset``) and
    ``ConcatDataset`` (``datasets``)."""
    if isinstance(dataset.get('dataset'), dict):
        yield from _leaf_datasets(dataset['dataset'], f'{key}.dataset')
    elif isinstance(dataset.get('datasets'), (list, tuple)):
        for index, inner in enumerate(dataset['datasets']):
            if isinstance(inner, dict):
                yield from _leaf_datasets(inner, f'{key}.datasets.{index}')
    else:
        yield key, dataset


def dataset_problems(dataset: dict, key: str) -> List[Problem]:
    """The missing files and folders of one dataset config at ``key``."""
    problems = []
    for leaf_key, leaf in _leaf_datasets(dataset, key):
        root = leaf.get('data_root') or ''
        fix = f'get the data ({DATA_DOC}) or set {leaf_key}.data_root'
        if root and not _is_remote(root) and not osp.isdir(root):
            problems.append((f'{leaf_key}.data_root', root, fix))
            continue
        for field in _DATASET_FILE_KEYS:
            value = leaf.get(field)
            if isinstance(value, str) and value and not _is_remote(value):
                path = _join(root, value)
                if not osp.isfile(path):
                    problems.append((f'{leaf_key}.{field}', path, fix))
        prefixes = leaf.get('data_prefix') or {}
        for name, value in prefixes.items():
            if isinstance(value, str) and value and not _is_remote(value):
                path = _join(root, value)
                if not osp.isdir(path):
                    problems.append((f'{leaf_key}.data_prefix.{name}', path, fix))
    return problems


def _weight_entries(node, key: str) -> Iterator[Tuple[str, str]]:
    """``(config key, path)`` of the local weight files a model config names."""
    if isinstance(node, dict):
        for name, value in node.items():
            child = f'{key}.{name}'
            if isinstance(value, str) and (name.endswith(_WEIGHT_KEYS) or (
                    name == 'checkpoint' and node.get('type') == 'Pretrained')):
                if value and not _is_remote(value):
                    yield child, value
            else:
                yield from _weight_entries(value, child)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _weight_entries(value, f'{key}.{index}')


def weight_problems(model: dict) -> List[Problem]:
    """The weight files or folders that ``model``'s config names and that
    do not exist."""
    return [(key, path, f'download them ({WEIGHTS_DOC}) into that path, or set {key} '
             f'(--cfg-options {key}=PATH)')
            for key, path in _weight_entries(model, 'model') if not osp.exists(path)]


def preflight(cfg, mode: str) -> None:
    """Raise :class:`MissingInputsError` listing every missing input of a
    ``mode`` ('train' or 'test') run of ``cfg``."""
    loaders = ['train_dataloader'] + (['val_dataloader'] if cfg.get('val_cfg') else []) \
        if mode == 'train' else ['test_dataloader']
    problems, seen = [], set()
    for loader in loaders:
        dataset = (cfg.get(loader) or {}).get('dataset')
        if isinstance(dataset, dict):
            for problem in dataset_problems(dataset, f'{loader}.dataset'):
                if problem[1] not in seen:  # val and test often share the files
                    seen.add(problem[1])
                    problems.append(problem)
    if mode == 'train' and isinstance(cfg.get('model'), dict):
        problems += weight_problems(cfg.model)
    if problems:
        raise MissingInputsError(problems)

"""What every referring segmentation dataset shares: modes, expressions, errors.

A subclass lists *objects* (one image region with its expressions); the
``mode`` decides what one dataset entry is:

- ``train``: one entry per object; each read picks one of its expressions
  at random (the reference's training sampling);
- ``test``: one entry per expression (the reference evaluation protocol);
- ``val_first``: one entry per object with its first expression, the
  reference's faster in-training validation (its numbers differ from
  ``test``).

A sample whose image or mask cannot be read or decoded (an exception of
type ``OSError``, ``ValueError``, ``AssertionError`` or ``cv2.error`` from a
loading transform, one whose class name starts with ``Load``) is skipped in
``train`` mode, counted and logged, until ``max_load_failures`` were skipped
in one process; then, and in the other modes at once, it raises
:class:`~mmris.utils.errors.SampleLoadError` naming the sample. Any other
exception of the pipeline (a bug) raises at once, naming the sample.
"""
import json
import os.path as osp
from typing import Any, List

import cv2
import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmris.utils.errors import DatasetError, DatasetFileNotFoundError, SampleLoadError

MODES = ('train', 'test', 'val_first')
#: What a loading transform raises when a file is missing, unreadable or
#: not decodable (mmcv's LoadImageFromFile asserts on an undecodable image).
LOAD_FAILURES = (OSError, ValueError, AssertionError, cv2.error)


def require_file(path: str, what: str, how: str) -> None:
    """Raise DatasetFileNotFoundError naming ``path`` (``what`` it is), the
    first folder on its way that does not exist, and ``how`` to fix it,
    unless ``path`` is a file."""
    if osp.isfile(path):
        return
    missing = path
    while osp.dirname(missing) and not osp.isdir(osp.dirname(missing)):
        missing = osp.dirname(missing)
    where = f' (the folder {missing} does not exist)' if missing != path else ''
    raise DatasetFileNotFoundError(f'{what} {path} not found{where}: {how}')


def load_json(path: str) -> Any:
    """The JSON document in ``path``; DatasetError naming the file and the
    position when it is not JSON."""
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(f'{path} is not a JSON file ({error}); is it damaged or '
                           f'truncated? Download or write it again') from error


class BaseRISDataset(BaseDataset):
    """Base class of RIS datasets.

    Entries hold ``img_path``, ``mask`` (what ``LoadRISAnnotations``
    decodes), ``sentences`` (all expressions of the object) and, outside
    ``train`` mode, ``text`` (the expression of this entry).

    Expressions that are empty or only whitespace are an error naming the
    entry in ``test``/``val_first`` modes; in ``train`` mode they are left
    out and counted in a log line (an object left with none is skipped).
    Samples whose files cannot be loaded are handled as the module
    docstring says.

    Args:
        mode (str): ``train``, ``test`` or ``val_first``.
        max_load_failures (int): Samples that may be skipped in one process
            of a ``train`` run before it stops.
        **kwargs: mmengine ``BaseDataset`` arguments.
    """

    METAINFO = dict(classes=('background', 'object'), palette=[[0, 0, 0], [255, 64, 64]])

    def __init__(self, mode: str = 'train', max_load_failures: int = 100, **kwargs):
        if mode not in MODES:
            raise DatasetError(f'{type(self).__name__}: mode {mode!r} is not one of '
                               f'{", ".join(MODES)}; set the dataset\'s mode in the config')
        self.mode = mode
        self.max_load_failures = max_load_failures
        self.num_skipped = 0
        super().__init__(test_mode=mode != 'train', **kwargs)

    def load_objects(self) -> List[dict]:
        """The objects of the annotation, each a dict with ``img_path``,
        ``mask``, ``sentences`` and whatever identifies it (``source``: a
        short description for error messages)."""
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        entries, dropped = [], 0
        for obj in self.load_objects():
            sentences = []
            for index, text in enumerate(obj['sentences']):
                if isinstance(text, str) and text.strip():
                    sentences.append(text)
                elif self.mode == 'train':
                    dropped += 1
                else:
                    raise DatasetError(f'{obj["source"]}: expression {index} is {text!r}; '
                                       'expressions must contain text')
            if not sentences:
                continue
            obj = dict(obj, sentences=sentences)
            if self.mode == 'train':
                entries.append(obj)
            elif self.mode == 'val_first':
                entries.append(dict(obj, text=sentences[0]))
            else:
                entries.extend(dict(obj, text=text) for text in sentences)
        if dropped:
            print_log(f'{type(self).__name__}: left out {dropped} empty expressions',
                      logger='current', level=30)
        if not entries:
            raise DatasetError(f'{type(self).__name__}: no entries in '
                               f'{self.ann_file or self.data_root}')
        return entries

    def get_data_info(self, idx) -> dict:
        """The entry at ``idx``; in ``train`` mode with ``text``, one of its
        expressions: ``draw % n`` for an ``(idx, draw)`` pair from
        :class:`~mmris.datasets.ExpressionSampler`, else a random one."""
        idx, draw = idx if isinstance(idx, tuple) else (idx, None)
        info = super().get_data_info(idx)
        if self.mode == 'train':
            count = len(info['sentences'])
            info['text'] = info['sentences'][np.random.randint(count) if draw is None
                                             else draw % count]
        return info

    def prepare_data(self, idx: int):
        info = self.get_data_info(idx)
        results = info
        for transform in self.pipeline.transforms:
            try:
                results = transform(results)
            except Exception as error:
                if isinstance(error, LOAD_FAILURES) and type(transform).__name__.startswith('Load'):
                    return self._load_failed(info, idx, error)
                raise RuntimeError(f'{self._describe(info, idx)}: {type(transform).__name__} '
                                   f'failed: {error}') from error
            if results is None:
                return None
        return results

    @staticmethod
    def _describe(info: dict, idx: int) -> str:
        return (f'{info.get("source", f"entry {idx}")} ({info["img_path"]!r}, '
                f'{info.get("text")!r})')

    def _load_failed(self, info: dict, idx: int, error: Exception) -> None:
        """Count a sample that could not be loaded: raise SampleLoadError
        outside ``train`` mode or past ``max_load_failures``, else log it
        and return None (mmengine then draws another sample)."""
        where = self._describe(info, idx)
        reason = ' '.join(str(error).split()) or type(error).__name__
        if self.test_mode:
            raise SampleLoadError(f'{where} could not be loaded: {reason}') from error
        self.num_skipped += 1
        if self.num_skipped > self.max_load_failures:
            raise SampleLoadError(
                f'{self.num_skipped} samples could not be loaded in this process, more than '
                f'max_load_failures={self.max_load_failures}; the last: {where}: {reason}. '
                f'Check the images and masks under {self.data_root or self.ann_file!r}') \
                from error
        print_log(f'skipped {where}: {reason}; {self.num_skipped} skipped so far in this '
                  f'process (at most {self.max_load_failures})', logger='current', level=30)
        return None

"""What every referring segmentation dataset shares: modes, expressions, errors.

A subclass lists *objects* (one image region with its expressions); the
``mode`` decides what one dataset entry is:

- ``train``: one entry per object; each read picks one of its expressions
  at random (the reference's training sampling);
- ``test``: one entry per expression (the reference evaluation protocol);
- ``val_first``: one entry per object with its first expression, the
  reference's faster in-training validation (its numbers differ from
  ``test``).
"""
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

MODES = ('train', 'test', 'val_first')


class BaseRISDataset(BaseDataset):
    """Base class of RIS datasets.

    Entries hold ``img_path``, ``mask`` (what ``LoadRISAnnotations``
    decodes), ``sentences`` (all expressions of the object) and, outside
    ``train`` mode, ``text`` (the expression of this entry).

    Expressions that are empty or only whitespace are an error naming the
    entry in ``test``/``val_first`` modes; in ``train`` mode they are left
    out and counted in a log line (an object left with none is skipped).
    In ``train`` mode an entry whose image or mask cannot be loaded is
    skipped with a warning naming it and the number skipped so far in that
    process; in the other modes it raises an error naming it.

    Args:
        mode (str): ``train``, ``test`` or ``val_first``.
        **kwargs: mmengine ``BaseDataset`` arguments.
    """

    METAINFO = dict(classes=('background', 'object'), palette=[[0, 0, 0], [255, 64, 64]])

    def __init__(self, mode: str = 'train', **kwargs):
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        self.mode = mode
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
                    raise ValueError(f'{obj["source"]}: expression {index} is {text!r}; '
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
            raise ValueError(f'{type(self).__name__}: no entries in {self.ann_file or self.data_root}')
        return entries

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if self.mode == 'train':
            info['text'] = info['sentences'][np.random.randint(len(info['sentences']))]
        return info

    def prepare_data(self, idx: int):
        info = self.get_data_info(idx)
        try:
            return self.pipeline(info)
        except Exception as error:
            where = f'{info.get("source", f"entry {idx}")} ({info["img_path"]!r}, {info.get("text")!r})'
            if self.test_mode:
                raise RuntimeError(f'{where}: {error}') from error
            self.num_skipped += 1
            print_log(f'skipped {where}: {error}; {self.num_skipped} skipped so far in this process',
                      logger='current', level=30)
            return None

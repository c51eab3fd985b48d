"""Checkpoint loading that never runs pickled code, yet resumes Runner files.

``torch.load`` with ``weights_only=True`` (the default from torch 2.6) only
rebuilds tensors, numbers, strings and plain containers; anything else in a
pickle must be allow-listed by name. A checkpoint written by mmengine's
Runner also holds numpy arrays and scalars (``meta``, ``message_hub``) and
mmengine ``HistoryBuffer`` objects, whose pickled state refers to the
buffer's statistics methods through ``builtins.getattr``.

This module allow-lists exactly those objects, for the duration of a load
only, and replaces ``builtins.getattr`` by a lookup that resolves nothing
but a ``HistoryBuffer`` method. mmengine's loaders for local paths and
http(s) URLs are replaced by ones that load with ``weights_only=True`` on
every torch version, so ``load_from``, ``--resume`` and ``load_checkpoint``
all go through here. A file that needs anything else is refused with
:class:`UnsafeCheckpointError`, which names the file and the object.
"""
import os.path as osp
import pickle
from typing import Callable

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .safetensors_file import is_safetensors, load_safetensors


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint asked to rebuild an object outside the allow-list."""


# What HistoryBuffer registers in every process once a buffer is created;
# a checkpoint may be loaded before that.
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_method(owner, name: str):
    """``getattr`` restricted to the statistics methods of HistoryBuffer."""
    methods = {**{n: getattr(HistoryBuffer, n) for n in _DEFAULT_STATISTICS},
               **HistoryBuffer._statistics_methods}
    if owner is HistoryBuffer and name in methods:
        return methods[name]
    raise UnsafeCheckpointError(
        f'getattr({owner!r}, {name!r}) is not allowed in a checkpoint')


def _allowed_globals() -> list:
    """The objects a Runner checkpoint may rebuild, under their pickled names."""
    allowed = [HistoryBuffer, np.ndarray, np.dtype, (_history_buffer_method, 'builtins.getattr')]
    allowed += [cls for cls in vars(np.dtypes).values() if isinstance(cls, type)]
    # numpy 2 pickles from numpy._core, numpy 1 from numpy.core: accept both names.
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed.append((np.ndarray.__reduce__(np.zeros(0))[0], f'{module}._reconstruct'))
        allowed.append((np.float64(0).__reduce__()[0], f'{module}.scalar'))
    return allowed


def _load_allowing_runner_objects(source: str, load: Callable[[], dict]) -> dict:
    """Run ``load`` (a ``torch.load(weights_only=True)`` of ``source``) with
    the allow-list in force; an unpickling refusal becomes UnsafeCheckpointError."""
    with torch.serialization.safe_globals(_allowed_globals()):
        try:
            return load()
        except pickle.UnpicklingError as error:
            # torch re-raises the unpickler's error inside advice to retry with
            # weights_only=False; the unpickler's own message is the reason.
            reason = ' '.join(str(error.__context__ or error).split())
            raise UnsafeCheckpointError(
                f'Refused to load checkpoint {source!r}: it holds a pickled object that '
                f'is not a tensor, number, string, container, numpy array or mmengine log '
                f'buffer, and unpickling it could run arbitrary code ({reason}). mmris only '
                f'loads such files with weights_only=True. If you trust its origin, re-save '
                f'its tensors in a plain dict, e.g. '
                f'torch.save({{"state_dict": <its state_dict>}}, "clean.pth"), and load that.'
            ) from None


def safe_load(filename: str, map_location=None):
    """``torch.load(filename, weights_only=True)`` that accepts Runner checkpoints;
    a ``.safetensors`` file is read as a flat state dict.

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        UnsafeCheckpointError: the file pickles an object outside the allow-list.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    if is_safetensors(filename):
        return load_safetensors(filename, map_location)
    return _load_allowing_runner_objects(
        filename,
        lambda: torch.load(filename, map_location=map_location, weights_only=True))


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename: str, map_location=None):
    """Loader for local paths (mmengine's default scheme), with :func:`safe_load`."""
    return safe_load(osp.expanduser(filename), map_location)


@CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), force=True)
def load_from_http(filename: str, map_location=None, model_dir=None, progress=True):
    """Loader for URLs: download into torch's hub cache, then as :func:`safe_load`."""
    return _load_allowing_runner_objects(
        filename, lambda: torch.hub.load_state_dict_from_url(
            filename, model_dir=model_dir, map_location=map_location, progress=progress,
            weights_only=True))

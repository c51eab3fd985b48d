"""Checkpoint loading that never runs pickled code, yet resumes Runner files.

``torch.load`` with ``weights_only=True`` (the default from torch 2.6) only
rebuilds tensors, numbers, strings and plain containers; anything else in a
pickle must be allow-listed by name. mmris' Runner writes plain data only
(:mod:`.plain_state`), but a checkpoint written by mmengine's own Runner (or
by mmris before) also holds numpy arrays and scalars (``meta``,
``message_hub``) and mmengine ``HistoryBuffer`` objects, whose pickled
state refers to the buffer's statistics methods through ``builtins.getattr``.

:func:`safe_load` allow-lists exactly those objects, for the duration of a
load only, and replaces ``builtins.getattr`` by a lookup that resolves
nothing but a ``HistoryBuffer`` method. A file that needs anything else is
refused with :class:`UnsafeCheckpointError`, which names the file and the
object; a truncated or damaged file raises :class:`CheckpointError` naming
it.

Importing mmris changes nothing in mmengine. Within
:func:`safe_checkpoint_loading` (a context manager), mmengine's loaders for
local paths and http(s) URLs are replaced by ones that load with
``weights_only=True`` on every torch version, so ``load_from``,
``--resume`` and ``load_checkpoint`` all go through here; the previous
loaders come back when it ends. ``mmris.Runner``, ``mmris.apis`` and the
tools use it; wrap your own code in it to load checkpoints the same way::

    with safe_checkpoint_loading():
        runner.train()
"""
import os.path as osp
import pickle
from contextlib import contextmanager
from typing import Callable, Iterator

import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from mmris.utils.errors import CheckpointError, MissingCheckpointError, UnsafeCheckpointError
from mmris.utils.mmengine_private import (
    checkpoint_loaders,
    history_buffer_statistics,
    restore_checkpoint_loaders,
)

from .restricted_unpickler import NUMPY_GLOBALS
from .safetensors_file import is_safetensors, load_safetensors

# What HistoryBuffer registers in every process once a buffer is created;
# a checkpoint may be loaded before that.
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_method(owner, name: str):
    """``getattr`` restricted to the statistics methods of HistoryBuffer."""
    methods = {**{n: getattr(HistoryBuffer, n) for n in _DEFAULT_STATISTICS},
               **history_buffer_statistics()}
    if owner is HistoryBuffer and name in methods:
        return methods[name]
    raise UnsafeCheckpointError(
        f'getattr({owner!r}, {name!r}) is not allowed in a checkpoint')


def _allowed_globals() -> list:
    """The objects a Runner checkpoint may rebuild, under their pickled names."""
    return [HistoryBuffer, (_history_buffer_method, 'builtins.getattr'),
            *((obj, f'{module}.{name}') for (module, name), obj in NUMPY_GLOBALS.items())]


def _load_allowing_runner_objects(source: str, load: Callable[[], dict]) -> dict:
    """Run ``load`` (a ``torch.load(weights_only=True)`` of ``source``) with
    the allow-list in force; an unpickling refusal becomes
    UnsafeCheckpointError, a damaged file CheckpointError."""
    with torch.serialization.safe_globals(_allowed_globals()):
        try:
            return load()
        except UnsafeCheckpointError:
            raise
        except pickle.UnpicklingError as error:
            # torch re-raises the unpickler's error inside advice to retry with
            # weights_only=False; the unpickler's own message is the reason.
            reason = ' '.join(str(error.__context__ or error).split())
            if not reason.startswith('Unsupported operand'):
                raise UnsafeCheckpointError(
                    f'Refused to load checkpoint {source!r}: it holds a pickled object that '
                    f'is not a tensor, number, string, container, numpy array or mmengine log '
                    f'buffer, and unpickling it could run arbitrary code ({reason}). mmris '
                    f'only loads such files with weights_only=True. If you trust its origin, '
                    f're-save its tensors in a plain dict, e.g. '
                    f'torch.save({{"state_dict": <its state_dict>}}, "clean.pth"), and load '
                    f'that.') from None
            raise _unreadable(source, error) from None
        except Exception as error:  # torch reports a damaged file in many ways
            raise _unreadable(source, error) from None


def _unreadable(source: str, error: Exception) -> CheckpointError:
    # torch's first sentence says what failed; the rest is advice on its internals.
    reason = ' '.join(str(error).split()).split('. ')[0][:200] or 'the file ended early'
    return CheckpointError(
        f'checkpoint {source!r} could not be read ({type(error).__name__}: {reason}); it is '
        f'truncated, damaged or not a PyTorch checkpoint: copy or download it again, or '
        f'pick another one')


def safe_load(filename: str, map_location=None):
    """``torch.load(filename, weights_only=True)`` that accepts Runner checkpoints;
    a ``.safetensors`` file is read as a flat state dict.

    Raises:
        CheckpointError (also a FileNotFoundError): ``filename`` is not a file.
        CheckpointError: the file is truncated, damaged or not a checkpoint.
        UnsafeCheckpointError: the file pickles an object outside the allow-list.
    """
    if not osp.isfile(filename):
        raise MissingCheckpointError(f'checkpoint {filename!r} does not exist')
    if is_safetensors(filename):
        return load_safetensors(filename, map_location)
    return _load_allowing_runner_objects(
        filename,
        lambda: torch.load(filename, map_location=map_location, weights_only=True))


def load_from_local(filename: str, map_location=None):
    """Loader for local paths (mmengine's default scheme), with :func:`safe_load`."""
    return safe_load(osp.expanduser(filename), map_location)


def load_from_http(filename: str, map_location=None, model_dir=None, progress=True):
    """Loader for URLs: download into torch's hub cache, then as :func:`safe_load`."""
    return _load_allowing_runner_objects(
        filename, lambda: torch.hub.load_state_dict_from_url(
            filename, model_dir=model_dir, map_location=map_location, progress=progress,
            weights_only=True))


@contextmanager
def safe_checkpoint_loading() -> Iterator[None]:
    """Within this context, mmengine loads local and http(s) checkpoints
    with :func:`safe_load`; its previous loaders are restored afterwards.
    Nested use is fine."""
    previous = checkpoint_loaders()
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), loader=load_from_http,
                                     force=True)
    try:
        yield
    finally:
        restore_checkpoint_loaders(previous)

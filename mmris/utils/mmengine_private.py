"""Every use of mmengine's private API in mmris, in one place.

mmengine offers no public way to do these five things, which mmris needs:

- read a registry's lazy import ``locations`` (``Registry._locations``), so
  an mmris registry can search its mmseg parent's locations as well;
- list a registry among the children of mmengine's root registry
  (``Registry._add_child``), so mmseg and mmdet configs reach ``mmris.X``;
- read and restore the table of checkpoint loaders
  (``CheckpointLoader._schemes``), so mmris' weights-only loaders are used
  within a scope and the previous ones come back after it;
- read the statistics methods registered on ``HistoryBuffer``
  (``HistoryBuffer._statistics_methods``), which a pickled log buffer of a
  Runner checkpoint refers to;
- load a checkpoint dict into a model as ``Runner.load_checkpoint`` does
  (``mmengine.runner.checkpoint._load_checkpoint_to_model``: key revision,
  non-strict load with one warning), so ``mmris.Runner`` can check the
  checkpoint against the model in between.

Checked against mmengine 0.10.0, 0.10.4 and 0.10.7 (the supported range is
``mmengine>=0.10.0,<0.11.0``): the four attributes have the same names,
types and meaning in each; ``_load_checkpoint_to_model`` was checked
against the installed 0.10.7 only. Check them again before widening that
range.
"""
from typing import Callable, Dict, List

from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.registry import Registry
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint_to_model


def registry_locations(registry: Registry) -> List[str]:
    """The modules ``registry`` imports the first time it is searched."""
    return list(registry._locations)


def add_root_child(root: Registry, registry: Registry) -> None:
    """List ``registry`` among ``root``'s children (by its scope)."""
    root._add_child(registry)


def checkpoint_loaders() -> Dict[str, Callable]:
    """A copy of mmengine's table ``{path prefix: loader}``."""
    return CheckpointLoader._schemes.copy()


def restore_checkpoint_loaders(loaders: Dict[str, Callable]) -> None:
    """Put back a table returned by :func:`checkpoint_loaders`."""
    CheckpointLoader._schemes = loaders.copy()


def history_buffer_statistics() -> Dict[str, Callable]:
    """The statistics methods registered on ``HistoryBuffer`` so far."""
    return dict(HistoryBuffer._statistics_methods)


def load_checkpoint_to_model(model, checkpoint: dict, strict: bool, revise_keys: list) -> dict:
    """The second half of mmengine's ``Runner.load_checkpoint``: load the
    ``state_dict`` of a loaded ``checkpoint`` into ``model``; returns it."""
    return _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=revise_keys)

"""Whether a checkpoint's tensors fit the model of a config.

A checkpoint of another model (another backbone, other widths) loads into
mmengine's non-strict loader with a warning and leaves most weights
random; the run then reports figures that mean nothing. Every mmris loading
path (``tools/test.py``, ``load_from``, ``--resume``, the inferencers and
demos) calls :func:`check_state_dict_fits` first, which refuses such a
checkpoint with one line: how many tensors are missing, differ in shape or
are not in the model, a few names, and the config the checkpoint was
written with when its meta records it (``meta['config_file']``, written by
:class:`~mmris.engine.hooks.WeightsOnlyCheckpointHook`).

The frozen weights that a parameter-efficient checkpoint leaves out on
purpose (``meta['parameter_efficient']['omitted_keys']``) do not count as
missing. ``partial=True`` (the config key ``load_from_partial=True``)
loads the tensors that fit and logs one line about the others, for
fine-tuning from another model on purpose.
"""
from typing import Dict, List, Optional

import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader

from mmris.utils.errors import CheckpointError

from .loader import safe_checkpoint_loading
from .parameter_efficient import META_KEY as PARAMETER_EFFICIENT_KEY
from .parameter_efficient import complete_state_dict

#: ``checkpoint['meta']`` key holding the path of the config a run was started with.
CONFIG_FILE_KEY = 'config_file'
#: Config key that allows loading a checkpoint that does not fit (fine-tuning).
PARTIAL_KEY = 'load_from_partial'


def _short(keys: List[str], limit: int = 5) -> str:
    return ', '.join(keys[:limit]) + (f', ... ({len(keys) - limit} more)' if len(keys) > limit
                                      else '')


def written_with(meta: Optional[dict]) -> str:
    """' (written with <config>)' from a checkpoint's meta, or ''."""
    meta = meta or {}
    if meta.get(CONFIG_FILE_KEY):
        return f' (written with {meta[CONFIG_FILE_KEY]})'
    if meta.get('experiment_name'):
        return f' (written by the run {meta["experiment_name"]})'
    return ''


def misfit(state_dict: Dict[str, torch.Tensor], model: torch.nn.Module,
           meta: Optional[dict] = None) -> Dict[str, List[str]]:
    """The keys of ``model`` that ``state_dict`` lacks (``'missing'``), has
    with another shape (``'differ'``, as ``'key (ckpt shape vs model shape)'``)
    and the keys it has that ``model`` lacks (``'unexpected'``). Keys a
    parameter-efficient checkpoint left out on purpose (in ``meta``) and
    BatchNorm's ``num_batches_tracked`` are not missing."""
    own = model.state_dict()
    omitted = set(((meta or {}).get(PARAMETER_EFFICIENT_KEY) or {}).get('omitted_keys', ()))
    missing = [key for key in own if key not in state_dict and key not in omitted
               and not key.endswith('num_batches_tracked')]
    differ = [f'{key} ({tuple(value.shape)} vs {tuple(own[key].shape)})'
              for key, value in state_dict.items()
              if key in own and tuple(value.shape) != tuple(own[key].shape)]
    unexpected = [key for key in state_dict if key not in own]
    return dict(missing=missing, differ=differ, unexpected=unexpected)


def check_state_dict_fits(state_dict: Dict[str, torch.Tensor], model: torch.nn.Module,
                          source: str, meta: Optional[dict] = None,
                          partial: bool = False) -> None:
    """Refuse ``state_dict`` (keys without a ``module.`` prefix) unless it
    fits ``model``; with ``partial``, log what does not fit instead.

    Args:
        state_dict: The checkpoint's tensors.
        model: The model of the config.
        source: The checkpoint, as the message names it (e.g. ``repr(path)``).
        meta: The checkpoint's ``meta``, if any.
        partial: Load on purpose what fits (``load_from_partial=True``).

    Raises:
        CheckpointError: one line naming ``source``, the counts and a few keys.
    """
    found = misfit(state_dict, model, meta)
    if not any(found.values()):
        return
    parts = [f'{len(found["missing"])} of the model\'s {len(model.state_dict())} tensors are '
             f'missing [{_short(found["missing"])}]' if found['missing'] else '',
             f'{len(found["differ"])} differ in shape [{_short(found["differ"])}]'
             if found['differ'] else '',
             f'{len(found["unexpected"])} are not in the model [{_short(found["unexpected"])}]'
             if found['unexpected'] else '']
    counts = '; '.join(part for part in parts if part)
    if partial:
        print_log(f'{PARTIAL_KEY}=True: loading the tensors of checkpoint {source} that fit; '
                  f'{counts}', logger='current')
        return
    raise CheckpointError(
        f'checkpoint {source}{written_with(meta)} does not fit the model of this config: '
        f'{counts}. Use the config it was trained with, or set {PARTIAL_KEY}=True '
        f'(--cfg-options +{PARTIAL_KEY}=True) to load only what fits, on purpose')


def model_state_dict(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The tensors of ``checkpoint`` (its ``state_dict``, or the dict itself
    when it is flat), keys without DDP's ``module.`` prefix."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    return {key[len('module.'):] if key.startswith('module.') else key: value
            for key, value in state_dict.items()}


def check_checkpoint_fits(checkpoint: dict, model: torch.nn.Module, source: str,
                          partial: bool = False) -> None:
    """:func:`check_state_dict_fits` for a loaded checkpoint dict."""
    check_state_dict_fits(model_state_dict(checkpoint), model, source, checkpoint.get('meta'),
                          partial)


def load_weights(model: torch.nn.Module, checkpoint: str, model_cfg: dict,
                 partial: bool = False) -> dict:
    """Load ``checkpoint`` (full or parameter-efficient) into ``model``,
    weights-only, after :func:`check_state_dict_fits`; returns the loaded
    checkpoint dict. With ``partial``, only the tensors that fit are loaded.

    Raises:
        CheckpointError: the file cannot be read or does not fit ``model``.
    """
    with safe_checkpoint_loading():
        loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    if not isinstance(loaded, dict):
        raise CheckpointError(f'checkpoint {checkpoint!r} holds a {type(loaded).__name__}, not '
                              f'a checkpoint dict')
    complete_state_dict(loaded, model, model_cfg, repr(checkpoint))
    state_dict = model_state_dict(loaded)
    check_state_dict_fits(state_dict, model, repr(checkpoint), loaded.get('meta'), partial)
    if partial:
        own = model.state_dict()
        state_dict = {key: value for key, value in state_dict.items()
                      if key in own and value.shape == own[key].shape}
    model.load_state_dict(state_dict, strict=not partial)
    return loaded

"""Parameter-efficient checkpoints: leave out what the config restores.

A parameter-efficient model trains a small part of itself; most of its
parameters are frozen weights that the config loads in ``init_weights``
(e.g. CLIP towers from ``model.backbone.clip_weights``). Saving those in
every checkpoint makes each hundreds of MB. A *parameter-efficient
checkpoint* leaves out every frozen parameter that a freshly built model
of the same config gets bit for bit from ``init_weights`` (and not
already when built), and keeps the rest: every trainable parameter, every
buffer (frozen BatchNorm statistics do change in training), every frozen
parameter that ``init_weights`` does not reproduce (a randomly initialised
frozen layer, or whole towers when the config loads no weights file, as
the demo config: such a checkpoint is in effect a full one) and every one
a model has as soon as it is built (a LayerNorm's 1 / 0).

Its ``meta['parameter_efficient']`` lists the keys left out, a SHA-256
fingerprint of their values, and the config's weight fields (``*weights*``,
``*pretrained*`` and ``*checkpoint*`` strings under ``model``). Loading it
(:func:`complete_state_dict`) runs the model's ``init_weights`` if it has
not run yet, checks the fingerprint of the restored values, and puts them
into the checkpoint's ``state_dict``, which then loads like a full one. A
different weights file gives a different fingerprint and a
:class:`~mmris.utils.errors.CheckpointError` naming the config's weight
fields. A loader that never calls ``init_weights`` (mmseg's
``init_model``, mmdet's ``init_detector``) gets the towers from the
backbone's ``load_state_dict`` pre-hook, which reads the same files.

Which frozen parameters the config reproduces is found by building two
more models from the config, with two random seeds, and running their
``init_weights`` (with the random state saved and restored around it, so
training is not disturbed); what both reproduce does not hang on a seed;
this is generic: it works for any model and any way of loading weights.
"""
import hashlib
import logging
import random
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.logging import MMLogger, print_log
from mmengine.registry import MODELS
from torch import nn

from mmris.utils.errors import CheckpointError
from mmris.utils.preflight import weight_problems

#: ``checkpoint['meta']`` key of a parameter-efficient checkpoint.
META_KEY = 'parameter_efficient'
_WEIGHT_FIELD_WORDS = ('weights', 'pretrained', 'checkpoint')


@contextmanager
def preserved_random_state() -> Iterator[None]:
    """Restore python's, numpy's and torch's (CPU and CUDA) random state on exit."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)


def fingerprint(tensors: Dict[str, torch.Tensor]) -> str:
    """``sha256:<hex>`` of the names, dtypes, shapes and bytes of ``tensors``."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous().reshape(-1)
        digest.update(f'{name}|{tensor.dtype}|{tuple(tensors[name].shape)}|'.encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes())
    return f'sha256:{digest.hexdigest()}'


def weight_fields(model_cfg: dict, prefix: str = 'model') -> List[str]:
    """``'field=value'`` for every string field under ``model_cfg`` whose
    name holds 'weights', 'pretrained' or 'checkpoint' (where frozen weights
    come from), e.g. ``['model.backbone.clip_weights=pretrain/RN50.pt']``."""
    fields = []
    items = model_cfg.items() if isinstance(model_cfg, dict) else enumerate(model_cfg)
    for key, value in items:
        name = f'{prefix}.{key}'
        if isinstance(value, (dict, ConfigDict, list, tuple)):
            fields += weight_fields(value, name)
        elif isinstance(value, str) and any(word in str(key) for word in _WEIGHT_FIELD_WORDS):
            fields.append(f'{name}={value}')
    return fields


def _built_and_initialised(model_cfg: dict, seed: int) -> Tuple[Dict[str, torch.Tensor],
                                                                  Dict[str, torch.Tensor]]:
    """The state dicts of a model built from ``model_cfg`` on the CPU with
    the random seed ``seed``, as built and after its ``init_weights``."""
    with preserved_random_state():
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        model = MODELS.build(model_cfg)
        built = {key: value.clone() for key, value in model.state_dict().items()}
        if hasattr(model, 'init_weights'):
            model.init_weights()
    return built, model.state_dict()


def restorable_keys(state_dict: Dict[str, torch.Tensor], model: nn.Module,
                    model_cfg: dict) -> List[str]:
    """Keys of the frozen parameters of ``model`` whose value in
    ``state_dict`` a fresh model of ``model_cfg`` gets from ``init_weights``
    whatever the random state (two fresh models, of two seeds, agree), and
    not already when it is built (a LayerNorm's 1 / 0 stay in the
    checkpoint: a loader that never calls ``init_weights``, as mmseg's
    ``init_model``, then needs the config's weights files only for what
    they hold)."""
    frozen = {name for name, param in model.named_parameters() if not param.requires_grad}
    if not frozen:
        return []
    print_log('parameter-efficient checkpoint: finding the frozen weights the config restores '
              '(two fresh models of the config are built once)', logger='current')
    (built, fresh), (_, other) = (_built_and_initialised(model_cfg, seed) for seed in (1, 2))

    def same(a: torch.Tensor, b: torch.Tensor) -> bool:
        return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.cpu(), b.cpu())

    return sorted(key for key in frozen if key in state_dict and key in fresh
                  and same(state_dict[key], fresh[key]) and same(fresh[key], other[key])
                  and not same(built[key], fresh[key]))


def make_parameter_efficient(checkpoint: dict, omitted: List[str], model_cfg: dict,
                             omitted_fingerprint: Optional[str] = None) -> dict:
    """Remove the ``omitted`` keys from ``checkpoint['state_dict']`` (in
    place) and describe them in ``checkpoint['meta']``; returns
    ``checkpoint``. ``omitted_fingerprint`` saves hashing them again."""
    state_dict = checkpoint['state_dict']
    if omitted_fingerprint is None:
        omitted_fingerprint = fingerprint({key: state_dict[key] for key in omitted})
    for key in omitted:
        del state_dict[key]
    checkpoint.setdefault('meta', {})[META_KEY] = dict(
        omitted_keys=list(omitted), fingerprint=omitted_fingerprint,
        weight_fields=weight_fields(model_cfg))
    return checkpoint


@contextmanager
def init_table_to_log_file_only(model: nn.Module) -> Iterator[None]:
    """mmengine's ``init_weights`` ends with a table of how each parameter
    was initialised: into the log file where one is open (a Runner's), else
    on the console, hundreds of lines for a CLIP model. Keep it off the
    console."""
    handlers = MMLogger.get_current_instance().handlers
    if any(isinstance(handler, logging.FileHandler) for handler in handlers):
        yield
        return
    model._dump_init_info = lambda: None
    try:
        yield
    finally:
        del model._dump_init_info


def is_parameter_efficient(checkpoint: dict) -> bool:
    return isinstance(checkpoint, dict) and META_KEY in (checkpoint.get('meta') or {})


def complete_state_dict(checkpoint: dict, model: nn.Module, model_cfg: dict, source: str) -> None:
    """Put the weights a parameter-efficient ``checkpoint`` left out back
    into its ``state_dict`` (in place) from ``model``, after running
    ``model.init_weights()`` if it has not run; a full checkpoint is left
    as it is.

    Raises:
        CheckpointError: a weights file the config names for them does not
            exist, the restored weights are not those the checkpoint was
            trained with (fingerprint), or ``model`` lacks some of them.
    """
    if not is_parameter_efficient(checkpoint):
        return
    info = checkpoint['meta'][META_KEY]
    if not getattr(model, 'is_init', True):
        missing_files = weight_problems(model_cfg)
        if missing_files:
            key, path, fix = missing_files[0]
            raise CheckpointError(
                f'{source} is a parameter-efficient checkpoint: the frozen weights it left out '
                f'come from {key}={path!r}, which does not exist; {fix}')
        fields = ', '.join(weight_fields(model_cfg)) or 'its init_weights'
        print_log(f'{source} is a parameter-efficient checkpoint: restoring the frozen weights '
                  f'it left out from the config ({fields})', logger='current')
        with preserved_random_state(), init_table_to_log_file_only(model):
            model.init_weights()
    own = model.state_dict()
    missing = [key for key in info['omitted_keys'] if key not in own]
    if missing:
        raise CheckpointError(
            f'{source} is a parameter-efficient checkpoint of another model: it left out '
            f'{len(missing)} weights this model does not have (e.g. {", ".join(missing[:3])}); '
            f'load it with the config it was trained with')
    restored = {key: own[key] for key in info['omitted_keys']}
    if fingerprint(restored) != info['fingerprint']:
        trained_fields = info.get('weight_fields') or []
        trained = ', '.join(trained_fields) or 'no weights file'
        here = ', '.join(weight_fields(model_cfg)) or 'no weights file'
        option = f' (--cfg-options {" ".join(trained_fields)})' if trained_fields else ''
        raise CheckpointError(
            f'{source} is a parameter-efficient checkpoint trained on other frozen weights than '
            f'those this config restores (their fingerprints differ; trained with {trained}, '
            f'this config: {here}): set the config to the weights it was trained with{option}, '
            f'or use a full checkpoint (tools/train.py --save-full-state)')
    checkpoint['state_dict'].update(restored)

"""Building a transformers tower from an HF config or a local HF directory.

A tower is described by ``config``, an HF config written as a dict
(``model_type`` plus the fields that differ from transformers' defaults),
and/or ``pretrained``, a local Hugging Face model directory (``config.json``
and weights, read with ``local_files_only=True``: nothing is downloaded).

- ``config`` alone builds the architecture with random weights.
- ``pretrained`` alone takes the architecture from the directory.
- Both: where the directory exists, it is the architecture and every field
  of ``config`` must agree with it, so a config file states what it expects
  to load; where it does not (counting parameters, or running a trained
  mmris checkpoint without the transformers files), the model is built
  from ``config`` and only loading the weights needs the directory.

A directory may hold a two-tower model (``clip``, ``siglip``); each tower
then takes its own sub-config. The weights are read by
:func:`load_pretrained_weights`, called from the encoders' ``init_weights``.
"""
import contextlib
import json
import os.path as osp
from typing import Callable, Dict, Optional, Tuple, Type

import torch
from transformers import AutoConfig, PretrainedConfig, PreTrainedModel
from transformers.utils import logging as hf_logging

#: model_type -> the class a tower of that type is built as.
TowerClasses = Dict[str, Type[PreTrainedModel]]
#: model_type of a two-tower directory -> function giving one tower's config.
SubConfigs = Dict[str, Callable[[PretrainedConfig], PretrainedConfig]]


def two_tower_sub_configs(tower: str) -> SubConfigs:
    """How to take one tower's config (``'vision_config'`` or
    ``'text_config'``) out of a CLIP or SigLIP directory's; CLIP keeps the
    projection width at the top level, so it is copied into the tower's."""

    def clip(config: PretrainedConfig) -> PretrainedConfig:
        sub_config = getattr(config, tower)
        sub_config.projection_dim = config.projection_dim
        return sub_config

    return {'clip': clip, 'siglip': lambda config: getattr(config, tower)}


@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' loading reports and progress bars for a block:
    a two-tower directory always has weights the other tower does not use."""
    verbosity = hf_logging.get_verbosity()
    progress = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if progress:
            hf_logging.enable_progress_bar()


def _supported(towers: TowerClasses, sub_configs: SubConfigs) -> str:
    return ', '.join(sorted({*towers, *sub_configs}))


def _unsupported(owner: str, model_type, source: str, towers: TowerClasses,
                 sub_configs: SubConfigs) -> ValueError:
    return ValueError(f'{owner}: {source} has model_type={model_type!r}, which {owner} does not '
                      f'support; supported architectures: {_supported(towers, sub_configs)}')


def _directory_config(owner: str, pretrained: str, towers: TowerClasses,
                      sub_configs: SubConfigs) -> PretrainedConfig:
    """The tower config of HF directory ``pretrained``."""
    if not osp.isdir(pretrained):
        raise FileNotFoundError(
            f'{owner}: pretrained={pretrained!r} is not a directory; point it at a local '
            f'Hugging Face model directory (config.json and weights), e.g. one written by '
            f'save_pretrained or downloaded with huggingface-cli')
    config_file = osp.join(pretrained, 'config.json')
    if not osp.isfile(config_file):
        raise ValueError(
            f'{owner}: {pretrained!r} is not a Hugging Face model directory (it has no '
            f'config.json); supported architectures: {_supported(towers, sub_configs)}')
    with open(config_file) as f:
        model_type = json.load(f).get('model_type')
    if model_type not in towers and model_type not in sub_configs:
        raise _unsupported(owner, model_type, f'{config_file}', towers, sub_configs)
    config = AutoConfig.from_pretrained(pretrained, local_files_only=True)
    return sub_configs[model_type](config) if model_type in sub_configs else config


def _check_agrees(owner: str, expected: dict, config: PretrainedConfig, pretrained: str) -> None:
    """Raise ValueError listing the fields of ``expected`` that ``config`` differs in."""
    def plain(value):
        return list(value) if isinstance(value, tuple) else value

    differences = [f'{key}={plain(getattr(config, key, None))!r} (config says {plain(value)!r})'
                   for key, value in expected.items() if plain(getattr(config, key, None)) != plain(value)]
    if differences:
        raise ValueError(f'{owner}: the model in {pretrained!r} does not match the config: it has '
                         f'{", ".join(differences)}; fix the config or the directory')


def tower_config(owner: str, config: Optional[dict], pretrained: Optional[str],
                 towers: TowerClasses, sub_configs: SubConfigs
                 ) -> Tuple[PretrainedConfig, Type[PreTrainedModel]]:
    """Resolve a tower's HF config and class (see the module doc).

    Args:
        owner (str): Name of the encoder, for error messages.
        config (dict, optional): HF config fields with ``model_type``.
        pretrained (str, optional): Local HF model directory.
        towers: Supported tower model types and their classes.
        sub_configs: Supported two-tower model types and how to take this
            tower's config out of theirs.

    Raises:
        ValueError: neither given, an unsupported architecture (the message
            lists the supported ones), a directory without config.json, or a
            ``config`` that disagrees with the directory.
        FileNotFoundError: ``pretrained`` is not a directory.
    """
    if config is None and pretrained is None:
        raise ValueError(f'{owner} needs `pretrained` (a local Hugging Face model directory) or '
                         f'`config` (an HF config dict with model_type, e.g. '
                         f'dict(model_type={next(iter(towers))!r}))')
    expected = dict(config or {})
    if pretrained is not None and (config is None or osp.exists(pretrained)):
        resolved = _directory_config(owner, pretrained, towers, sub_configs)
        _check_agrees(owner, expected, resolved, pretrained)
    else:
        model_type = expected.pop('model_type', None)
        if model_type not in towers:
            raise _unsupported(owner, model_type, 'config', towers, {})
        resolved = AutoConfig.for_model(model_type, **expected)
    return resolved, towers[resolved.model_type]


def build_tower(model_class: Type[PreTrainedModel], config: PretrainedConfig) -> PreTrainedModel:
    """``model_class`` with random weights, in float32."""
    return model_class._from_config(config, dtype=torch.float32)


def load_pretrained_weights(owner: str, model: PreTrainedModel, pretrained: str) -> None:
    """Copy the weights of directory ``pretrained`` into ``model``, through
    transformers' own reader (which knows the key names of older releases).

    Raises FileNotFoundError if the directory is missing, ValueError naming
    the weights it lacks.
    """
    if not osp.isdir(pretrained):
        raise FileNotFoundError(
            f'{owner}: pretrained={pretrained!r} is not a directory, so its weights cannot be '
            f'loaded; put the Hugging Face model directory there (config.json and weights), '
            f'or set pretrained=None for random weights')
    with quiet_transformers():
        loaded, info = type(model).from_pretrained(
            pretrained, config=model.config, local_files_only=True, output_loading_info=True)
    missing = sorted(info['missing_keys'])
    mismatched = sorted(str(key) for key in info['mismatched_keys'])
    if missing or mismatched:
        raise ValueError(f'{owner}: {pretrained!r} does not hold all weights of '
                         f'{type(model).__name__}: missing {missing[:5]}, shape mismatch '
                         f'{mismatched[:5]}')
    model.load_state_dict(loaded.state_dict())

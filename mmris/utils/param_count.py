"""Parameter counts of a segmentor, split the way the ETRIS paper reports them.

ETRIS trains a Bridger between two frozen CLIP towers; only the towers'
positional embeddings stay trainable, plus the neck and the decode head.
:func:`count_parameters` splits a model's parameters into groups that
partition it, so the rows always add up to the total:

========================  ====================================================
``bridger``               ``backbone.bridger.*``
``positional_embedding``  trainable encoder parameters their encoder calls
                          positional embeddings (``is_positional_embedding``;
                          a name containing ``positional_embedding`` for a
                          module without that method)
``neck``                  ``neck.*``
``decode_head``           ``decode_head.*``
``frozen_encoders``       encoder parameters with ``requires_grad=False``
``other``                 everything else (e.g. another trainable encoder
                          parameter, or a model without these parts)
========================  ====================================================

Encoders are the ``backbone.vision_encoder`` and ``backbone.text_encoder``
submodules. Shared parameters are counted once, as ``model.parameters()``
yields them.
"""
from collections import OrderedDict
from typing import Dict

from torch import nn

#: Group key -> label shown by tools/analysis_tools/count_params.py.
GROUP_LABELS = OrderedDict(
    bridger='Bridger (backbone.bridger)',
    positional_embedding='Positional embeddings (encoders, trainable)',
    neck='Neck (neck)',
    decode_head='Head (decode_head)',
    frozen_encoders='Frozen encoders (vision + text)',
    other='Other',
)

_ENCODER_PREFIXES = ('backbone.vision_encoder.', 'backbone.text_encoder.')


def _is_positional_embedding(model: nn.Module, name: str) -> bool:
    """Whether encoder parameter ``name`` (full name) is a positional embedding."""
    prefix = next(p for p in _ENCODER_PREFIXES if name.startswith(p))
    encoder = model.get_submodule(prefix[:-1])
    if hasattr(encoder, 'is_positional_embedding'):
        return encoder.is_positional_embedding(name[len(prefix):])
    return 'positional_embedding' in name


def _group_of(model: nn.Module, name: str, param: nn.Parameter) -> str:
    if name.startswith('backbone.bridger.'):
        return 'bridger'
    if name.startswith('neck.'):
        return 'neck'
    if name.startswith('decode_head.'):
        return 'decode_head'
    if name.startswith(_ENCODER_PREFIXES):
        if not param.requires_grad:
            return 'frozen_encoders'
        if _is_positional_embedding(model, name):
            return 'positional_embedding'
    return 'other'


def count_parameters(model: nn.Module) -> Dict:
    """Count ``model``'s parameters, in total and per group (see the module doc).

    Returns:
        dict: ``total``, ``trainable`` and ``frozen`` (ints);
        ``bridger_side_tunable`` (Bridger + trainable positional embeddings,
        what the paper calls the tunable parameters of the backbone side);
        ``groups``: ``{key: {'params': int, 'trainable': int}}`` for every
        key of :data:`GROUP_LABELS`, in that order.
    """
    groups = OrderedDict((key, dict(params=0, trainable=0)) for key in GROUP_LABELS)
    for name, param in model.named_parameters():
        group = groups[_group_of(model, name, param)]
        group['params'] += param.numel()
        if param.requires_grad:
            group['trainable'] += param.numel()
    total = sum(group['params'] for group in groups.values())
    trainable = sum(group['trainable'] for group in groups.values())
    return dict(
        total=total,
        trainable=trainable,
        frozen=total - trainable,
        bridger_side_tunable=groups['bridger']['trainable'] +
        groups['positional_embedding']['trainable'],
        groups=groups)

"""Build-time checks that the parts a model builds fit together.

Every backbone, neck and head takes its channel counts as its own
arguments (configs state a backbone's widths once, as variables of its base
config). A model that builds its parts (:class:`ETRIS`,
:class:`ETRISReferringDetector`, ...) then compares what one part outputs with
what the next one takes, so a mismatch fails at build time with one line
naming both parts and both numbers, not with a shape error in the first
forward pass.
"""
from typing import Sequence, Tuple, Union

from mmengine.model import is_model_wrapper
from torch import nn

from mmris.utils.errors import PartsMismatchError


def output_channels(module: nn.Module) -> Tuple[int, ...]:
    """The channels of each map ``module`` outputs: its ``out_channels``
    when a sequence; an int ``out_channels`` repeated ``num_outs`` times (as
    mmdet's ``FPN``), or once.

    Raises:
        TypeError: ``module`` has no ``out_channels``.
    """
    out_channels = getattr(module, 'out_channels', None)
    if isinstance(out_channels, int):
        return (out_channels, ) * getattr(module, 'num_outs', 1)
    if isinstance(out_channels, (list, tuple)):
        return tuple(out_channels)
    raise TypeError(f'{type(module).__name__} does not say what it outputs: give it an '
                    f'out_channels list, or an int out_channels and num_outs')


def check_fit(producer: nn.Module, output: str, produced: Union[int, Sequence[int]],
              consumer: nn.Module, argument: str, expected: Union[int, Sequence[int]]) -> None:
    """Raise :class:`PartsMismatchError` unless ``produced`` (the
    ``output`` of ``producer``) equals ``expected`` (the ``argument`` of
    ``consumer``); sequences are compared as tuples."""
    if isinstance(produced, (list, tuple)):
        produced, expected = tuple(produced), tuple(expected)
    if produced != expected:
        raise PartsMismatchError(
            f'{type(consumer).__name__} {argument}={expected} does not fit '
            f'{type(producer).__name__} {output}={produced}: give the {argument} of '
            f'{type(consumer).__name__} the widths of the part before it (the width '
            f'variables of the model base config)')


def _maps_taken(producer: nn.Module, consumer: nn.Module) -> Tuple[Tuple[int, ...], tuple]:
    """``(produced, expected)``: the channels of the maps ``consumer`` reads
    from ``producer``'s outputs, and those it was built for. An int
    ``in_channels`` is one map, ``in_index`` (mmseg's heads, the simple
    feature pyramid), or every map (mmdet's dense heads, shared over levels)."""
    produced = output_channels(producer)
    expected = consumer.in_channels
    index = getattr(consumer, 'in_index', None)
    if isinstance(expected, int):
        if index is None:
            return produced, (expected, ) * len(produced)
        return (produced[index], ), (expected, )
    if isinstance(index, (list, tuple)):
        produced = tuple(produced[i] for i in index)
    return produced, tuple(expected)


def check_parts_fit(backbone: nn.Module, *parts: nn.Module) -> None:
    """Check a chain of parts built from a config: each part's
    ``in_channels`` against what the part before it outputs, and every
    ``text_channels`` and ``word_channels`` against the backbone's.

    Raises:
        PartsMismatchError: the first part that does not fit, naming both
            parts and both numbers.
    """
    producer = backbone
    for consumer in parts:
        produced, expected = _maps_taken(producer, consumer)
        check_fit(producer, 'out_channels', produced, consumer, 'in_channels', expected)
        for width in ('text_channels', 'word_channels'):
            produced, expected = getattr(backbone, width, None), getattr(consumer, width, None)
            if None not in (produced, expected):
                check_fit(backbone, width, produced, consumer, width, expected)
        producer = consumer


#: The heads a model built by mmseg or mmdet feeds from its backbone (and neck).
HEAD_NAMES = ('decode_head', 'auxiliary_head', 'rpn_head', 'bbox_head')


def check_model_parts_fit(model: nn.Module) -> None:
    """:func:`check_parts_fit` for a model whose class does not check its
    parts itself: mmseg's and mmdet's segmentors and detectors (ETRIS and the
    other mmris models check when they are built; a model wrapper's module
    is checked). The chain is the
    backbone, its neck (each of an ``nn.Sequential`` of necks) and each head
    of :data:`HEAD_NAMES` that says what it takes (``in_channels``). Nothing
    is checked when the backbone or a neck does not say what it outputs (a
    stock backbone without ``out_channels``).

    Raises:
        PartsMismatchError: as :func:`check_parts_fit`.
    """
    model = model.module if is_model_wrapper(model) else model
    backbone = getattr(model, 'backbone', None)
    if backbone is None or getattr(backbone, 'out_channels', None) is None:
        return
    neck = getattr(model, 'neck', None)
    necks = [] if neck is None else list(neck) if isinstance(neck, nn.Sequential) else [neck]
    if any(getattr(each, 'out_channels', None) is None for each in necks):
        return
    for name in HEAD_NAMES:
        heads = getattr(model, name, None)
        heads = heads if isinstance(heads, nn.ModuleList) else [heads]  # mmseg's auxiliary heads
        for head in heads:
            if getattr(head, 'in_channels', None) is not None:
                check_parts_fit(backbone, *necks, head)

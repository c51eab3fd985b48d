"""Channel counts that modules read from the module built before them.

Stock mmseg segmentors and mmdet detectors build their backbone, neck and
heads one after the other from separate config dicts, so a neck cannot ask
the backbone for its channels. mmris' backbone and necks therefore announce
what they output when they are built (:func:`announce_features`), and the
mmris neck or head built next reads it (:func:`expect_features`) for every
channel argument its config leaves out (``None``). Configs and tests then
never restate a backbone's channels; an explicit value always wins.

The announcement is kept per thread and per context (a ``ContextVar``); it is
the latest one made, so build a module that reads it right after the module
it follows, as segmentors and detectors do.
"""
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

_LATEST: ContextVar[Optional['FeatureSpec']] = ContextVar('mmris_feature_spec', default=None)


@dataclass(frozen=True)
class FeatureSpec:
    """What a feature producer outputs.

    Attributes:
        producer (str): Class name of the module that announced it.
        out_channels (tuple of int): Channels of each output map.
        text_channels (int, optional): Channels of the text embeddings.
        word_channels (int, optional): Channels of the word features.
        class_names (tuple of str, optional): The vocabulary, if any.
        pooled_channels (int, optional): Channels of the pooled image
            embedding, if it is output.
    """

    producer: str
    out_channels: Tuple[int, ...]
    text_channels: Optional[int] = None
    word_channels: Optional[int] = None
    class_names: Optional[Tuple[str, ...]] = None
    pooled_channels: Optional[int] = None


def announce_features(producer: object, out_channels: Sequence[int], **fields) -> FeatureSpec:
    """Record what ``producer`` outputs for the modules built after it.

    The text fields (``text_channels``, ``word_channels``, ``class_names``)
    and ``pooled_channels`` not given are those of the previous
    announcement: a neck passes the text and the pooled embedding through
    unchanged. Returns the new spec.
    """
    previous = _LATEST.get()
    for key in ('text_channels', 'word_channels', 'class_names', 'pooled_channels'):
        if key not in fields and previous is not None:
            fields[key] = getattr(previous, key)
    spec = FeatureSpec(type(producer).__name__, tuple(out_channels), **fields)
    _LATEST.set(spec)
    return spec


def expect_features(consumer: str) -> FeatureSpec:
    """The latest announcement, for ``consumer`` (a class name, for errors).

    Raises:
        ValueError: no mmris backbone or neck was built before.
    """
    spec = _LATEST.get()
    if spec is None:
        raise ValueError(
            f'{consumer} reads its channel counts from the mmris backbone or neck built '
            f'before it, and none was built: build it after one (as a segmentor or '
            f'detector config does) or give its channel arguments explicitly')
    return spec


def text_head_arguments(consumer: str, in_channels: Optional[int], text_channels: Optional[int],
                        num_classes: Optional[int], in_index: int = 0
                        ) -> Tuple[int, int, int]:
    """A text-scored head's ``(in_channels, text_channels, num_classes)``,
    each ``None`` read from the latest announcement: the channels of map
    ``in_index``, the text embedding channels, and the vocabulary size, or 1
    when the backbone takes one expression per image (referring)."""
    if None in (in_channels, text_channels, num_classes):
        spec = expect_features(consumer)
        in_channels = in_channels or spec.out_channels[in_index]
        text_channels = text_channels or spec.text_channels
        if num_classes is None:
            num_classes = 1 if spec.class_names is None else len(spec.class_names)
    return in_channels, text_channels, num_classes

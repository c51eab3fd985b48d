"""Named outputs passed from a Bridger backbone through necks to heads.

A stock mmseg or mmdet neck or head indexes its input as a sequence of maps
(``inputs[i]``, ``len(inputs)``). :class:`BridgedFeatures` is such a tuple of
maps, so those modules take it unchanged, and it also carries the text side
by name (:class:`TextFeatures`), which text-aware necks and heads read.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch


@dataclass
class TextFeatures:
    """The text side of a bridged forward pass.

    Attributes:
        embeddings (Tensor): One embedding per text: (B, D) for one
            expression per image, (B, K, D) for a vocabulary of K classes
            (each image's own, as the Bridger adapts the texts to it).
        words (Tensor, optional): Word features (B, L, C) of expressions.
        padding_mask (Tensor, optional): (B, L) bool, True at padding words.
        class_names (tuple of str, optional): The K class names, in the order
            of ``embeddings``.
    """

    embeddings: torch.Tensor
    words: Optional[torch.Tensor] = None
    padding_mask: Optional[torch.Tensor] = None
    class_names: Optional[Tuple[str, ...]] = None

    @property
    def num_texts(self) -> int:
        """K for a vocabulary, 1 for one expression per image."""
        return self.embeddings.shape[1] if self.embeddings.dim() == 3 else 1


class BridgedFeatures(tuple):
    """A tuple of feature maps (B, C_i, H_i, W_i) with its text features.

    Args:
        maps (Sequence[Tensor]): The maps, in order.
        text (TextFeatures): The text side.
    """

    def __new__(cls, maps: Sequence[torch.Tensor], text: TextFeatures):
        features = super().__new__(cls, maps)
        features.text = text
        return features

    def __getnewargs__(self):
        return tuple(self), self.text

    def with_maps(self, maps: Sequence[torch.Tensor]) -> 'BridgedFeatures':
        """New maps (e.g. a neck's outputs) with the same text features."""
        return BridgedFeatures(maps, self.text)

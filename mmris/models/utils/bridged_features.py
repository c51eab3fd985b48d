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

    def per_image(self) -> torch.Tensor:
        """The texts of each image, (B, K, D): the K class embeddings, or the
        one expression's embedding (K = 1)."""
        return self.embeddings if self.embeddings.dim() == 3 else self.embeddings[:, None]


class BridgedFeatures(tuple):
    """A tuple of feature maps (B, C_i, H_i, W_i) with its text features.

    Args:
        maps (Sequence[Tensor]): The maps, in order.
        text (TextFeatures): The text side.
        pooled (Tensor, optional): The pooled image embedding (B, D), for
            heads that score whole images (classification).
    """

    def __new__(cls, maps: Sequence[torch.Tensor], text: TextFeatures,
                pooled: Optional[torch.Tensor] = None):
        features = super().__new__(cls, maps)
        features.text = text
        features.pooled = pooled
        return features

    def __getnewargs__(self):
        return tuple(self), self.text, self.pooled

    def with_maps(self, maps: Sequence[torch.Tensor]) -> 'BridgedFeatures':
        """New maps (e.g. a neck's outputs) with the same text features and
        pooled embedding."""
        return BridgedFeatures(maps, self.text, self.pooled)


def head_texts(features: BridgedFeatures, num_classes: int, consumer: str) -> torch.Tensor:
    """The (B, K, D) texts of :meth:`TextFeatures.per_image` for a head built
    for ``num_classes`` texts (``consumer``, its class name, for the error).

    Raises:
        TypeError: ``features`` carries no text (a stock neck dropped it).
        ValueError: the backbone gives another number of texts.
    """
    text = getattr(features, 'text', None)
    if text is None:
        raise TypeError(f'{consumer} scores regions against texts, but its input carries none: '
                        f'feed it from a Bridger backbone, through TextCarryingNeck or an mmris '
                        f'neck (a stock neck drops the text)')
    texts = text.per_image()
    if texts.shape[1] != num_classes:
        raise ValueError(f'{consumer} was built for {num_classes} classes but the backbone gives '
                         f'{texts.shape[1]} texts: build the model with the class list it runs on')
    return texts

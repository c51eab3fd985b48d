"""What the text-scored versions of mmdet's dense heads share."""

from torch import nn

from ..layers import RegionTextScorer
from ..utils import BridgedFeatures, head_texts

#: Initial foreground probability of every prior (RetinaNet's focal-loss prior).
PRIOR_PROB = 0.01


class TextScoredDenseHead:
    """Mixin that makes an mmdet dense head score its priors against texts.

    Put it before the mmdet head (``class TextRetinaHead(TextScoredDenseHead,
    RetinaHead)``) and have the head's last classification conv made by
    :meth:`embedding_conv`: it then gives an ``embed_channels`` embedding per
    prior, and :meth:`forward` turns each level's embeddings into logits
    against the (B, K, D) texts of each image (the class names' embeddings,
    or one expression's) with a :class:`RegionTextScorer`, whose bias starts
    at the focal-loss prior. The logits have mmdet's layout, so the head's
    assigner, sampler, losses, decoding and NMS are unchanged. Only sigmoid
    classification losses are allowed (there is no background text).

    Args:
        num_classes (int): K: the backbone's vocabulary size, or 1 for
            expressions.
        in_channels (int): Channels of the neck's maps.
        text_channels (int): Channels of the texts (the backbone's
            ``text_channels``).
        embed_channels (int): Channels of the region embeddings (256).
        init_cfg (dict): Normal(std=0.01) for every conv, as mmdet's dense
            heads but without the prior in the last conv's bias (it is in the
            scorer's).
        **kwargs: The mmdet head's other arguments.
    """

    def __init__(self, num_classes: int, in_channels: int, text_channels: int,
                 embed_channels: int = 256,
                 init_cfg: dict = dict(type='Normal', layer='Conv2d', std=0.01), **kwargs):
        self.text_channels = text_channels
        self.embed_channels = embed_channels
        super().__init__(num_classes=num_classes, in_channels=in_channels, init_cfg=init_cfg,
                         **kwargs)
        if not self.use_sigmoid_cls:
            raise ValueError(f'{type(self).__name__} scores each text on its own and needs a '
                             f'sigmoid classification loss (loss_cls.use_sigmoid=True)')
        self.region_text = RegionTextScorer(text_channels, embed_channels, PRIOR_PROB)

    def embedding_conv(self, in_channels: int, num_priors: int) -> nn.Conv2d:
        """The last classification conv: ``num_priors * embed_channels`` out."""
        return nn.Conv2d(in_channels, num_priors * self.embed_channels, 3, padding=1)

    def forward(self, x: BridgedFeatures) -> tuple:
        """The mmdet head's outputs, with each level's classification output
        (B, A * K, H, W) scored against the texts of ``x``."""
        texts = head_texts(x, self.num_classes, type(self).__name__)
        embeddings, *others = super().forward(x)
        return ([self.region_text.score_maps(level, texts) for level in embeddings], *others)

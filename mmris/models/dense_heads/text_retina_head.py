"""RetinaNet's head with text-scored classification."""
from mmdet.models.dense_heads import RetinaHead

from mmris.registry import MODELS

from .text_scored_dense_head import TextScoredDenseHead


@MODELS.register_module()
class TextRetinaHead(TextScoredDenseHead, RetinaHead):
    """mmdet's :class:`RetinaHead` whose anchors are scored against texts.

    ``retina_cls`` gives one embedding per anchor, each compared with the
    class texts (see :class:`TextScoredDenseHead`); towers, anchors,
    regression, losses and NMS are RetinaNet's.

    Shapes: :class:`BridgedFeatures` of L maps (B, in_channels, H_l, W_l)
    with (B, K, D) texts -> ``(cls_scores, bbox_preds)``, lists of L maps
    (B, A * K, H_l, W_l) and (B, A * 4, H_l, W_l).
    """

    def _init_layers(self) -> None:
        super()._init_layers()
        self.retina_cls = self.embedding_conv(self.retina_cls.in_channels, self.num_base_priors)

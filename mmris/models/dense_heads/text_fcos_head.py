"""FCOS' head with text-scored classification."""
from mmdet.models.dense_heads import FCOSHead

from mmris.registry import MODELS

from .text_scored_dense_head import TextScoredDenseHead


@MODELS.register_module()
class TextFCOSHead(TextScoredDenseHead, FCOSHead):
    """mmdet's :class:`FCOSHead` whose locations are scored against texts.

    ``conv_cls`` gives one embedding per location, compared with the class
    texts (see :class:`TextScoredDenseHead`); towers, centerness, regression,
    targets, losses and NMS are FCOS'. With one expression per image (K = 1)
    it is the box head of :class:`ETRISReferringDetector`.

    Shapes: :class:`BridgedFeatures` of L maps (B, in_channels, H_l, W_l)
    with (B, K, D) texts -> ``(cls_scores, bbox_preds, centernesses)``,
    lists of L maps (B, K, H_l, W_l), (B, 4, H_l, W_l) and (B, 1, H_l, W_l).
    """

    def _init_layers(self) -> None:
        if self.cls_predictor_cfg is not None:
            raise ValueError('TextFCOSHead scores its embeddings against texts instead of a '
                             'classification conv: leave cls_predictor_cfg out')
        super()._init_layers()
        self.conv_cls = self.embedding_conv(self.feat_channels, 1)

"""mmdet's standard RoI head, handing the texts to its box head."""
from typing import Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead

from mmris.registry import MODELS

from ..utils import head_texts


@MODELS.register_module()
class TextRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` (Mask R-CNN's) for a text-scored box head.

    The only change: the box head (a :class:`TextShared2FCBBoxHead`) also
    gets the (B, K, D) texts carried by the neck's features and each RoI's
    image index, to score RoIs against their own image's texts. Sampling,
    losses, the mask branch (class-agnostic, so that it does not depend on
    the class list) and prediction are mmdet's.
    """

    def _bbox_forward(self, x: Tuple[torch.Tensor], rois: torch.Tensor) -> dict:
        """RoIs (n, 5) (image index, x1, y1, x2, y2) -> ``cls_score`` (n, K + 1),
        ``bbox_pred`` (n, 4) and the RoI features ``bbox_feats``."""
        bbox_feats = self.bbox_roi_extractor(x[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(bbox_feats)
        texts = head_texts(x, self.bbox_head.num_classes, type(self).__name__)
        cls_score, bbox_pred = self.bbox_head(bbox_feats, texts, rois[:, 0])
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats)

"""The RoI box head of Mask R-CNN with text-scored classification."""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from torch import nn

from mmris.registry import MODELS

from ...layers import RegionTextScorer


@MODELS.register_module()
class TextShared2FCBBoxHead(Shared2FCBBoxHead):
    """mmdet's :class:`Shared2FCBBoxHead` whose RoIs are scored against texts.

    ``fc_cls`` gives an ``embed_channels`` embedding per RoI; its class logits
    are the :class:`RegionTextScorer` scores against the texts of the RoI's
    image, and its background logit is scored the same way against a learned
    background embedding (ViLD's), so the softmax cross-entropy, sampling and
    NMS stay mmdet's. Box regression is class-agnostic, so no weight depends
    on the number of classes and the class list can change at test time.

    Args:
        num_classes (int): K: the backbone's vocabulary size (1 for
            expressions).
        in_channels (int): RoI feature channels.
        text_channels (int): Channels of the texts (the backbone's
            ``text_channels``).
        embed_channels (int): Channels of the RoI embeddings (256).
        reg_class_agnostic (bool): Must be True.
        **kwargs: Other :class:`Shared2FCBBoxHead` arguments; ``loss_cls``
            must be a softmax loss.

    Shapes: RoI features (N, in_channels, 7, 7), texts (B, K, D) and the
    image index of each RoI (N, ) -> cls_score (N, K + 1) (background
    last) and bbox_pred (N, 4).
    """

    def __init__(self, num_classes: int, in_channels: int, text_channels: int,
                 embed_channels: int = 256,
                 reg_class_agnostic: bool = True, **kwargs):
        self.text_channels = text_channels
        if not reg_class_agnostic:
            raise ValueError('TextShared2FCBBoxHead regresses class-agnostic boxes, so that no '
                             'weight depends on the class list: set reg_class_agnostic=True')
        super().__init__(num_classes=num_classes, in_channels=in_channels,
                         reg_class_agnostic=True, **kwargs)
        if self.loss_cls.use_sigmoid or self.custom_cls_channels:
            raise ValueError('TextShared2FCBBoxHead scores a background embedding beside the '
                             'texts and needs a softmax loss_cls (use_sigmoid=False)')
        self.fc_cls = nn.Linear(self.cls_last_dim, embed_channels)
        self.background_embedding = nn.Parameter(torch.randn(embed_channels))
        self.region_text = RegionTextScorer(text_channels, embed_channels, prior_prob=None)

    def forward(self, x: torch.Tensor, texts: torch.Tensor,
                image_index: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        embeddings, bbox_pred = super().forward(x)
        classes = self.region_text.scores(embeddings, texts, image_index)
        background = self.region_text.logits(
            F.normalize(embeddings, dim=-1) @ F.normalize(self.background_embedding, dim=0))
        return torch.cat([classes, background[:, None]], dim=1), bbox_pred

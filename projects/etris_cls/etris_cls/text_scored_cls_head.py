"""Classification by scoring the pooled image embedding against class texts."""
import math
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import BaseDataElement
from torch import nn

from mmris.models.utils import BridgedFeatures
from mmris.registry import MODELS


@MODELS.register_module()
class TextScoredClsHead(BaseModule):
    """CLIP-style scores of an image against the K class embeddings.

    ``logits = exp(logit_scale) * cos(pooled image embedding, class
    embedding k)``, with CLIP's learned temperature (initialised to
    ``log(1 / 0.07)`` and clamped at ``log(100)``, as in CLIP's training), trained
    with cross-entropy. The class embeddings are each image's own (the
    Bridger adapts them), so the class count follows the backbone's
    vocabulary and no weight depends on it.

    The backbone must output its pooled embedding (``out_pooled=True``)
    with as many channels as the class embeddings, as CLIP's towers do
    (:class:`ETRISClassifier` checks both at build time).

    Args:
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` with ``.pooled`` (B, D) and class
    embeddings (B, K, D) -> logits (B, K).
    """

    max_logit_scale = math.log(100)

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, features: BridgedFeatures) -> torch.Tensor:
        image = F.normalize(features.pooled, dim=-1)  # (B, D)
        texts = F.normalize(features.text.embeddings, dim=-1)  # (B, K, D)
        scale = self.logit_scale.clamp(max=self.max_logit_scale).exp()
        return scale * torch.einsum('bd,bkd->bk', image, texts)

    def loss(self, features: BridgedFeatures, data_samples: List[BaseDataElement]) -> dict:
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(features.pooled.device)
        return dict(loss_cls=F.cross_entropy(self(features), labels))

    def predict(self, features: BridgedFeatures,
                data_samples: Optional[List[BaseDataElement]] = None) -> List[BaseDataElement]:
        """Adds ``pred_score`` (K, ) (softmax) and ``pred_label`` (1, ) to
        each data sample (new ones when None)."""
        scores = self(features).softmax(-1)
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(scores.shape[0])]
        for sample, score in zip(data_samples, scores):
            sample.pred_score = score
            sample.pred_label = score.argmax(-1, keepdim=True)
        return data_samples

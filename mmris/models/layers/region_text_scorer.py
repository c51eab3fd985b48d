"""Scores of image regions against texts, as region-text detectors compute them."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import bias_init_with_prob
from torch import nn

#: Initial temperature of the scores (CLIP's initial logit scale, 1 / 0.07).
INITIAL_LOGIT_SCALE = math.log(1 / 0.07)


class RegionTextScorer(nn.Module):
    """The classification layer of a text-aware detector.

    Instead of one learned weight row per class, each region embedding is
    compared with each text embedding (a class name's, or an expression's)::

        logit(r, k) = exp(s) * cos(f_r, W t_k) + b

    with ``f_r`` the region's embedding (``embed_channels``), ``t_k`` the
    text embedding, ``W`` a learned projection, and a learned scale ``s``
    (initially ``log(1 / 0.07)``, CLIP's) and bias ``b``. Cosine similarity
    keeps the logits bounded, as in GLIP's and YOLO-World's contrastive
    heads. No parameter depends on the number of texts, so the class list can
    change without new weights.

    Args:
        text_channels (int): Channels D of the text embeddings.
        embed_channels (int): Channels E of the region embeddings.
        prior_prob (float, optional): For sigmoid (focal-loss) heads, ``b``
            starts at ``-log((1 - p) / p)`` so that every region starts with
            score ``p`` (RetinaNet's prior); ``None`` gives no bias (softmax
            heads, where a bias shared by all classes cancels).
    """

    def __init__(self, text_channels: int, embed_channels: int,
                 prior_prob: Optional[float] = 0.01):
        super().__init__()
        self.text_proj = nn.Linear(text_channels, embed_channels)
        self.logit_scale = nn.Parameter(torch.tensor(INITIAL_LOGIT_SCALE))
        self.bias = None
        if prior_prob is not None:
            self.bias = nn.Parameter(torch.tensor(float(bias_init_with_prob(prior_prob))))

    def project_texts(self, texts: torch.Tensor) -> torch.Tensor:
        """Text embeddings (..., D) -> unit-length projections (..., E)."""
        return F.normalize(self.text_proj(texts), dim=-1)

    def scores(self, regions: torch.Tensor, texts: torch.Tensor,
               image_index: torch.Tensor) -> torch.Tensor:
        """Logits of regions against the texts of their images.

        Args:
            regions (Tensor): (N, E) region embeddings (e.g. RoIs).
            texts (Tensor): (B, K, D) text embeddings of each image.
            image_index (Tensor): (N, ) the image of each region.

        Returns:
            Tensor: (N, K).
        """
        b, k, _ = texts.shape
        projected = self.project_texts(texts).flatten(0, 1)  # (B * K, E)
        cosines = (F.normalize(regions, dim=-1) @ projected.t()).view(-1, b, k)
        return self.logits(cosines[torch.arange(len(regions)), image_index.long()])

    def score_maps(self, embeddings: torch.Tensor, texts: torch.Tensor) -> torch.Tensor:
        """Dense logits of a head's embedding map against each image's texts.

        Args:
            embeddings (Tensor): (B, A * E, H, W): A region embeddings (one
                per anchor, or A = 1) of E channels at each location.
            texts (Tensor): (B, K, D) text embeddings of each image.

        Returns:
            Tensor: (B, A * K, H, W), channel ``a * K + k`` scoring anchor
            ``a`` against text ``k`` (mmdet's anchor-major layout).
        """
        b, _, h, w = embeddings.shape
        projected = self.project_texts(texts)
        regions = embeddings.reshape(b, -1, projected.shape[-1], h, w)
        logits = torch.einsum('baehw,bke->bakhw', F.normalize(regions, dim=2), projected)
        return self.logits(logits).reshape(b, -1, h, w)

    def logits(self, cosines: torch.Tensor) -> torch.Tensor:
        """Cosine similarities -> logits: ``exp(s) * cosines + b``."""
        logits = cosines * self.logit_scale.exp()
        return logits if self.bias is None else logits + self.bias

"""Whether an expression names anything in the image (generalized referring
segmentation, gRefCOCO).

Design. ReLA decides "no target" from its region-language features: learnt
region queries attend to the image and to the words, and a global
no-target token is read from the regions weighted by how well each matches
the expression. ETRIS has no region queries. Its neck output is already the
vision-language alignment: every position of the map is gated by the
sentence. So "does anything match?" is asked of that map directly: the
sentence, projected to the map's width, scores every position (a dot
product); the positions are pooled by the softmax of those scores (the
region most like the expression) and the best score itself is kept (how
well the best position matches). An MLP reads ``[pooled map, sentence,
best score, mean score]`` and gives one no-target logit. This adds a few
thousand parameters, no decoder, and reads nothing the mask head does not
already compute; it trains with its own binary cross-entropy beside the mask
loss (no-target samples also train the mask towards empty, as in ReLA).

``detach=True`` stops the head's gradient at its inputs: the backbone and
neck then train from the mask loss alone, exactly as in the same model
without the head, and the head learns to read what they give. That makes
the head a pure addition (the generated GRES demo uses it; docs/gres.md).
"""
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.structures import SegDataSample
from torch import nn

from mmris.registry import MODELS

from ..utils import BridgedFeatures


def no_target_labels(data_samples: List[SegDataSample]) -> torch.Tensor:
    """(B,) float: 1 for a no-target sample (``metainfo['no_target']``, or an
    empty ``gt_sem_seg`` where the metainfo does not say), 0 otherwise."""
    labels = []
    for sample in data_samples:
        flag = sample.metainfo.get('no_target')
        if flag is None:
            flag = not bool(sample.gt_sem_seg.data.any())
        labels.append(float(flag))
    return torch.tensor(labels)


#: The no-target probability above which a mask is emptied.
DEFAULT_NO_TARGET_THRESHOLD = 0.5


def mark_no_target(probs: Sequence[float], data_samples: List[SegDataSample],
                   threshold: float = DEFAULT_NO_TARGET_THRESHOLD) -> List[SegDataSample]:
    """Set ``no_target_score`` (the no-target probability, float) and
    ``pred_no_target`` (bool) of each sample, and empty the
    ``pred_sem_seg`` of those above ``threshold``."""
    for prob, sample in zip(probs, data_samples):
        no_target = float(prob) > threshold
        sample.set_data(dict(no_target_score=float(prob), pred_no_target=no_target))
        if no_target:
            sample.pred_sem_seg.data.zero_()
    return data_samples


@MODELS.register_module()
class NoTargetHead(BaseModule):
    """Predicts whether the expression names nothing (see the module docstring).

    Args:
        in_channels (int): Channels of the neck's map.
        text_channels (int): Channels of the sentence embedding.
        channels (int): Hidden width of the MLP (256).
        threshold (float): At inference, a no-target probability above it
            empties the mask (0.5).
        loss_weight (float): Weight of the binary cross-entropy (1.0).
        detach (bool): Train on detached inputs, so that no gradient of
            this head reaches the neck or the backbone (False).
        init_cfg (dict, optional): mmengine init config.

    Shapes: :class:`BridgedFeatures` of one map (B, in_channels, h, w) with
    the sentence (B, text_channels) -> no-target logits (B,).
    """

    def __init__(self, in_channels: int, text_channels: int, channels: int = 256,
                 threshold: float = DEFAULT_NO_TARGET_THRESHOLD, loss_weight: float = 1.0,
                 detach: bool = False, init_cfg=None):
        super().__init__(init_cfg)
        self.text_proj = nn.Linear(text_channels, in_channels)
        self.key_proj = nn.Conv2d(in_channels, in_channels, 1)
        self.mlp = nn.Sequential(
            nn.Linear(2 * in_channels + 2, channels), nn.ReLU(inplace=True),
            nn.Linear(channels, 1))
        self.threshold = threshold
        self.loss_weight = loss_weight
        self.detach = detach

    def forward(self, features: BridgedFeatures) -> torch.Tensor:
        x, sentence = features[0], features.text.embeddings
        if self.detach:
            x, sentence = x.detach(), sentence.detach()
        sentence = self.text_proj(sentence)  # (B, C)
        keys = self.key_proj(x).flatten(2)  # (B, C, hw)
        scores = torch.einsum('bc,bcn->bn', sentence, keys) / keys.shape[1] ** 0.5
        pooled = torch.einsum('bn,bcn->bc', scores.softmax(dim=1), x.flatten(2))
        summary = torch.cat([pooled, sentence, scores.amax(dim=1, keepdim=True),
                             scores.mean(dim=1, keepdim=True)], dim=1)
        return self.mlp(summary).squeeze(1)

    def loss(self, features: BridgedFeatures, data_samples: List[SegDataSample]
             ) -> Dict[str, torch.Tensor]:
        """``loss_no_target``: weighted BCE of the logits and each sample's
        no-target label (:func:`no_target_labels`)."""
        logits = self(features)
        labels = no_target_labels(data_samples).to(logits)
        return {'loss_no_target': self.loss_weight *
                F.binary_cross_entropy_with_logits(logits, labels)}

    def predict(self, features: BridgedFeatures, data_samples: List[SegDataSample]
                ) -> List[SegDataSample]:
        """:func:`mark_no_target` of the samples at ``threshold``."""
        probs = self(features).sigmoid().float().cpu()
        return mark_no_target(probs.tolist(), data_samples, self.threshold)

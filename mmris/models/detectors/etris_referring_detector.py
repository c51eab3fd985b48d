"""Referring detection: the one box an expression refers to."""
from typing import List, Optional, Tuple

import torch
from mmdet.models.detectors import SingleStageDetector
from mmdet.structures import DetDataSample
from torch import nn

from mmris.registry import MODELS
from mmris.utils.part_fit import check_parts_fit

from ..utils import BridgedFeatures, sample_expressions


@MODELS.register_module()
class ETRISReferringDetector(SingleStageDetector):
    """mmdet's single-stage detector, driven by one expression per image.

    As mmdet's GLIP, it reads each image's expression from its data sample
    (``data_samples.text``: ``PackDetInputs`` with ``'text'`` in its
    ``meta_keys``). The backbone, a :class:`BridgedDualEncoder` in expression
    mode (``classes=None``), encodes image and expression through the
    Bridger; the neck builds the pyramid and carries the sentence embedding;
    the box head, a text-scored dense head with K = 1 (e.g.
    :class:`TextFCOSHead`), scores every location against the expression and
    trains with the referred box as the one ground truth of class 0.
    :meth:`predict` keeps, for each expression, the box of highest score (set
    ``test_cfg.score_thr=0`` so that there always is one). With
    ``test_cfg.multi_target=True`` (generalized referring detection,
    gRefCOCO) it keeps every box whose final score, after NMS, is at least
    ``score_thr`` instead: several boxes for an expression naming several
    objects, none for one naming nothing. (mmdet's dense heads apply
    ``score_thr`` before they weigh a score by, e.g., FCOS' centerness, so
    the final scores are checked again, as mmdet's ``gRefCOCOMetric`` checks
    them against its ``thresh_score``.)

    Args: those of mmdet's :class:`SingleStageDetector`. Parts whose widths
    do not fit fail the build, naming both (:func:`check_parts_fit`).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        necks = []
        if self.with_neck:
            necks = list(self.neck) if isinstance(self.neck, nn.Sequential) else [self.neck]
        check_parts_fit(self.backbone, *necks, self.bbox_head)

    def extract_feat(self, batch_inputs: torch.Tensor,
                     batch_data_samples: Optional[List[DetDataSample]] = None
                     ) -> BridgedFeatures:
        """Images (B, 3, H, W) and their expressions -> the neck's maps,
        carrying the sentence embeddings (B, D).

        mmdet's ``extract_feat(batch_inputs)`` with the data samples added,
        which carry the text (as GLIP's do): the Bridger fuses each
        expression into its image's features inside the backbone, so there
        are no image features without it. Images alone raise a ValueError
        saying so. This is why :meth:`loss`, :meth:`predict` and
        :meth:`_forward` pass the samples on."""
        texts = sample_expressions(batch_data_samples, type(self).__name__,
                                   "PackDetInputs with 'text' in meta_keys")
        features = self.backbone(batch_inputs, self.backbone.tokenize(texts))
        return self.neck(features) if self.with_neck else features

    def loss(self, batch_inputs: torch.Tensor, batch_data_samples: List[DetDataSample]) -> dict:
        x = self.extract_feat(batch_inputs, batch_data_samples)
        return self.bbox_head.loss(x, batch_data_samples)

    def predict(self, batch_inputs: torch.Tensor, batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """Each sample gets ``pred_instances``: the best-scoring box for its
        expression, or with ``test_cfg.multi_target`` every box scoring at
        least ``test_cfg.score_thr`` (maybe none)."""
        x = self.extract_feat(batch_inputs, batch_data_samples)
        results = self.bbox_head.predict(x, batch_data_samples, rescale=rescale)
        test_cfg = self.test_cfg or {}
        if test_cfg.get('multi_target', False):
            found = [result[result.scores >= test_cfg.get('score_thr', 0)] for result in results]
            return self.add_pred_to_datasample(batch_data_samples, found)
        best = [result[result.scores.argsort(descending=True)[:1]] for result in results]
        return self.add_pred_to_datasample(batch_data_samples, best)

    def _forward(self, batch_inputs: torch.Tensor,
                 batch_data_samples: List[DetDataSample] = None) -> Tuple[List[torch.Tensor]]:
        return self.bbox_head.forward(self.extract_feat(batch_inputs, batch_data_samples))


# The name earlier configs use.
MODELS.register_module(name='ReferringDetector', module=ETRISReferringDetector)

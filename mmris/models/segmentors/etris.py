"""ETRIS: referring image segmentation with a Bridger over frozen CLIP towers."""
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.structures import SegDataSample

from mmris.registry import MODELS
from mmris.utils.part_fit import check_parts_fit

from ..utils import BridgedFeatures, sample_expressions

#: Foreground where the probability is above this (the reference's 0.35).
DEFAULT_MASK_THRESHOLD = 0.35


@MODELS.register_module()
class ETRIS(BaseSegmentor):
    """Segments the object an expression refers to.

    ``backbone`` (a :class:`BridgedDualEncoder`) encodes the image and the
    expression, ``neck`` aligns its maps with the sentence, ``decode_head``
    (a :class:`ProjectorHead`) gives stride-4 mask logits. Each data sample
    carries its expression as ``metainfo['text']``.

    ``predict`` follows the reference evaluation: sigmoid, bicubic upsampling
    (align_corners) to the network input, the inverse letterbox warp
    (``metainfo['inverse_affine_matrix']``, 2x3; bicubic, border 0) to the
    original image size, clipped to [0, 1] (the cubic steps overshoot at
    sharp edges), then ``> test_cfg['mask_threshold']`` (0.35). Each
    returned sample holds

    - ``pred_sem_seg``: the binary mask, ``PixelData`` (1, H, W) int64, and
    - ``pred_prob``: the probability map, ``PixelData`` (1, H, W) float32,

    at the original image size.

    With a ``no_target_head`` (generalized referring segmentation: an
    expression may name nothing), it reads the neck's output, trains with its
    own loss beside the mask loss, and at inference empties the mask of each
    sample it judges no-target, adding ``no_target_score`` and
    ``pred_no_target`` (see :class:`NoTargetHead`). Without it (the default)
    nothing changes.

    Args:
        backbone (dict): Backbone config.
        neck (dict): Neck config, with the backbone's widths.
        decode_head (dict): Head config, with the neck's and backbone's
            widths. Parts whose widths do not fit fail the build, naming
            both (:func:`check_parts_fit`).
        test_cfg (dict, optional): ``mask_threshold`` (0.35).
        no_target_head (dict, optional): e.g. ``NoTargetHead``; None: off.
        data_preprocessor (dict, optional): e.g. ``SegDataPreProcessor``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, backbone: dict, neck: dict, decode_head: dict,
                 test_cfg: Optional[dict] = None, no_target_head: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.decode_head = MODELS.build(decode_head)
        check_parts_fit(self.backbone, self.neck, self.decode_head)
        self.test_cfg = {'mask_threshold': DEFAULT_MASK_THRESHOLD, **(test_cfg or {})}
        self.no_target_head = None
        if no_target_head:
            # Drawn in a forked random state, so that every later draw (weight
            # initialisation, dropout, ...) is that of the model without it.
            with torch.random.fork_rng(devices=[]):
                self.no_target_head = MODELS.build(no_target_head)

    @staticmethod
    def expressions(data_samples: List[SegDataSample]) -> List[str]:
        """The ``metainfo['text']`` of each sample."""
        return sample_expressions(data_samples, 'ETRIS', 'PackRISInputs')

    def extract_feat(self, inputs: torch.Tensor,
                     data_samples: Optional[List[SegDataSample]] = None) -> BridgedFeatures:
        """Backbone + neck: one map (B, C, h, w) with the expressions' words,
        padding mask and sentence features.

        mmseg's ``extract_feat(inputs)`` with the data samples added, as the
        text travels in them (``metainfo['text']``): the Bridger fuses each
        expression into its image's features inside the backbone, so there
        are no image features without it. Images alone raise a ValueError
        saying so."""
        return self.features(inputs, self.backbone.tokenize(self.expressions(data_samples)))

    def features(self, inputs: torch.Tensor, token_ids: torch.Tensor) -> BridgedFeatures:
        """:meth:`extract_feat` of images (B, 3, H, W) and token ids (B, L)."""
        return self.neck(self.backbone(inputs, token_ids))

    def logits(self, inputs: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
        """The network on tensors alone (what is exported to ONNX): images
        (B, 3, H, W) and token ids (B, L) -> stride-4 mask logits
        (B, 1, H / 4, W / 4)."""
        return self.decode_head(self.features(inputs, token_ids))

    def encode_decode(self, inputs: torch.Tensor, batch_data_samples: List[SegDataSample]) -> torch.Tensor:
        """(B, 3, H, W) -> stride-4 mask logits (B, 1, H / 4, W / 4)."""
        return self.decode_head(self.extract_feat(inputs, batch_data_samples))

    def _forward(self, inputs: torch.Tensor, data_samples: List[SegDataSample] = None) -> torch.Tensor:
        return self.encode_decode(inputs, data_samples)

    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> Dict[str, torch.Tensor]:
        """BCE between the logits and each ``gt_sem_seg`` (1, H, W) in [0, 1]
        (and the no-target head's loss, when there is one)."""
        features = self.extract_feat(inputs, data_samples)
        losses = self.decode_head.loss(features, data_samples, train_cfg=dict())
        if self.no_target_head is not None:
            losses.update(self.no_target_head.loss(features, data_samples))
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> List[SegDataSample]:
        if self.no_target_head is None:
            logits = self.encode_decode(inputs, data_samples)
            return self.masks_from_logits(logits, data_samples, tuple(inputs.shape[-2:]))
        features = self.extract_feat(inputs, data_samples)
        data_samples = self.masks_from_logits(self.decode_head(features), data_samples,
                                              tuple(inputs.shape[-2:]))
        return self.no_target_head.predict(features, data_samples)

    def masks_from_logits(self, logits: torch.Tensor, data_samples: List[SegDataSample],
                          input_shape: tuple) -> List[SegDataSample]:
        """Stride-4 logits (B, 1, h, w) -> masks at each original size
        (:func:`masks_from_logits` at ``test_cfg['mask_threshold']``)."""
        return masks_from_logits(logits, data_samples, input_shape, self.test_cfg['mask_threshold'])


def masks_from_logits(logits: torch.Tensor, data_samples: List[SegDataSample],
                      input_shape: tuple, threshold: float = DEFAULT_MASK_THRESHOLD
                      ) -> List[SegDataSample]:
    """ETRIS' post-processing (see :class:`ETRIS`): stride-4 logits
    (B, 1, h, w) of inputs of ``input_shape`` -> ``pred_sem_seg`` and
    ``pred_prob`` (in [0, 1]) of each sample at its original size."""
    probs = F.interpolate(logits.sigmoid().float(), size=input_shape, mode='bicubic',
                          align_corners=True)
    for prob, sample in zip(probs, data_samples):
        inverse = sample.metainfo.get('inverse_affine_matrix')
        if inverse is None:
            raise ValueError("ETRIS.predict needs metainfo['inverse_affine_matrix'] (the "
                             'RISLetterbox transform records it)')
        height, width = sample.metainfo['ori_shape'][:2]
        prob = cv2.warpAffine(prob[0].cpu().numpy(), np.asarray(inverse, np.float64),
                              (int(width), int(height)), flags=cv2.INTER_CUBIC,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0.)
        # Both cubic steps overshoot at sharp edges; a probability stays in
        # [0, 1] (the mask is the same at any threshold in [0, 1)).
        prob = torch.from_numpy(np.clip(prob, 0., 1.))[None].to(logits.device)
        mask = (prob > threshold).long()
        sample.set_data(dict(pred_sem_seg=PixelData(data=mask), pred_prob=PixelData(data=prob)))
    return data_samples

"""ETRIS for image classification, on mmengine's BaseModel."""
from typing import List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmris.models.utils import BridgedFeatures
from mmris.registry import MODELS
from mmris.utils.errors import PartsMismatchError


@MODELS.register_module()
class ETRISClassifier(BaseModel):
    """A vocabulary-mode Bridger backbone (the class prompts are its text)
    and a head that scores each image against the class embeddings.

    mmpretrain's ``ImageClassifier`` would fit, but mmpretrain 1.2 cannot
    be imported without torchvision, which mmris does not use; this is the
    same shape on mmengine's ``BaseModel`` (``extract_feat``, ``loss``,
    ``predict``, data samples with ``gt_label`` / ``pred_score`` /
    ``pred_label``).

    Args:
        backbone (dict): A :class:`BridgedDualEncoder` config with
            ``classes`` and ``out_pooled=True``.
        head (dict): A head config with ``loss``, ``predict`` and
            ``forward`` (logits), e.g. :class:`TextScoredClsHead`.
        data_preprocessor (dict, optional): e.g. ``ImgDataPreprocessor``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, backbone: dict, head: dict, data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self._check_backbone()

    def _check_backbone(self) -> None:
        """The backbone must give what the head scores: the pooled image
        embedding and class texts of the same width."""
        backbone = self.backbone
        if backbone.pooled_channels is None:
            raise PartsMismatchError(
                f'{type(self.head).__name__} scores the pooled image embedding, but '
                f'{type(backbone).__name__} does not output it: set out_pooled=True in '
                f'model.backbone')
        if backbone.class_names is None:
            raise PartsMismatchError(
                f'{type(self.head).__name__} needs class texts, but {type(backbone).__name__} '
                f'has no vocabulary: set model.backbone.classes')
        if backbone.pooled_channels != backbone.text_channels:
            raise PartsMismatchError(
                f'the pooled image embedding has {backbone.pooled_channels} channels but the '
                f'class embeddings {backbone.text_channels}: make the vision encoder '
                f'output_dim equal the text encoder embed_dim')

    def extract_feat(self, inputs: torch.Tensor) -> BridgedFeatures:
        """Images (B, 3, H, W) -> the backbone's features."""
        return self.backbone(inputs)

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[dict, list, torch.Tensor]:
        """``mode='loss'``: dict of losses; ``'predict'``: data samples with
        predictions; ``'tensor'``: logits (B, K)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        raise RuntimeError(f'invalid mode {mode!r}: use loss, predict or tensor')

    def loss(self, inputs: torch.Tensor, data_samples: List[BaseDataElement]) -> dict:
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[BaseDataElement]] = None) -> List[BaseDataElement]:
        return self.head.predict(self.extract_feat(inputs), data_samples)

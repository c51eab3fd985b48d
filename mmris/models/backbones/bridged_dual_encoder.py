"""A frozen image encoder and text encoder run in lock-step with a Bridger."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule

from mmris.registry import MODELS
from ..encoders import load_clip_state_dict, split_clip_state_dict


@MODELS.register_module()
class BridgedDualEncoder(BaseModule):
    """ETRIS' backbone: two staged encoders and the Bridger between them.

    Both towers run stage by stage; after stage ``i`` of each, the Bridger
    (if it fuses that stage) adds corrections to both. The encoders are
    frozen except every parameter whose name contains
    ``positional_embedding`` (the reference's choice);
    ``freeze_positional_embedding=True`` freezes those too (strict PET).

    Text is a plain input, so the same backbone serves referring expressions
    or a fixed list of class names.

    Args:
        vision_encoder (dict): A :class:`StagedEncoder` config (CLIP ViT or
            ModifiedResNet).
        text_encoder (dict): A text :class:`StagedEncoder` config owning a
            tokenizer (CLIP text).
        bridger (dict): :class:`Bridger` config; ``vision_channels`` and
            ``text_channels`` are filled in from the encoders.
        clip_weights (str, optional): CLIP weights (OpenAI's TorchScript
            archive, a state dict file or a Hugging Face CLIP directory)
            loaded by :meth:`init_weights` into the towers in OpenAI's
            layout (both, or the one paired with a transformers tower).
        freeze_positional_embedding (bool): Also freeze positional embeddings.
        init_cfg (dict, optional): mmengine init config.

    Returns from :meth:`forward`: ``(maps, words, padding_mask, sentence)``:
    the vision maps after fused stages 0 .. n-2 and the final vision output
    (e.g. ViT-B/16 at 416: 768@26, 768@26, 512@26; RN50: 512@52, 1024@26,
    1024@13), word features (B, L, Ct), padding mask (B, L) (True at padding
    id 0) and the sentence feature (B, Cs).
    """

    def __init__(self, vision_encoder: dict, text_encoder: dict, bridger: dict,
                 clip_weights: Optional[str] = None, freeze_positional_embedding: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.vision_encoder = MODELS.build(vision_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        if self.vision_encoder.num_stages != self.text_encoder.num_stages:
            raise ValueError(
                f'the vision encoder has {self.vision_encoder.num_stages} stages and the text '
                f'encoder {self.text_encoder.num_stages}: set num_stages equal in both')
        self.bridger = MODELS.build(dict(
            bridger, vision_channels=self.vision_encoder.stage_channels,
            text_channels=self.text_encoder.stage_channels[0]))
        self.clip_weights = clip_weights
        self.freeze_positional_embedding = freeze_positional_embedding
        self.freeze_encoders()

    def freeze_encoders(self) -> None:
        """``requires_grad=False`` on every encoder parameter, except
        positional embeddings unless ``freeze_positional_embedding``."""
        for encoder in (self.vision_encoder, self.text_encoder):
            for name, param in encoder.named_parameters():
                trainable = encoder.is_positional_embedding(name) and not self.freeze_positional_embedding
                param.requires_grad_(trainable)

    def init_weights(self) -> None:
        super().init_weights()
        if self.clip_weights:
            visual, text = split_clip_state_dict(load_clip_state_dict(self.clip_weights))
            towers = [(encoder, weights) for encoder, weights in
                      ((self.vision_encoder, visual), (self.text_encoder, text))
                      if encoder.takes_openai_weights]
            if not towers:
                raise ValueError(f'clip_weights={self.clip_weights!r}, but neither encoder takes '
                                 'OpenAI-layout CLIP weights: set clip_weights=None and give '
                                 'the encoders their own `pretrained` directories')
            for encoder, weights in towers:
                encoder.load_openai_state_dict(weights, self.clip_weights)
            print_log(f'loaded CLIP weights from {self.clip_weights} into the '
                      f'{" and ".join(type(e).__name__ for e, _ in towers)}', logger='current')

    def tokenize(self, texts: Union[str, Sequence[str]]) -> torch.Tensor:
        """Expressions -> token ids (B, L), by the text encoder's tokenizer."""
        return self.text_encoder.tokenize(texts)

    def forward(self, images: torch.Tensor, token_ids: torch.Tensor
                ) -> Tuple[List[torch.Tensor], torch.Tensor, torch.Tensor, torch.Tensor]:
        """``images`` (B, 3, H, W), ``token_ids`` (B, L); see the class doc."""
        vision, text = self.vision_encoder, self.text_encoder
        v_state = vision.embed(images)
        t_state = text.embed(token_ids)
        maps, previous = [], None
        for stage in range(vision.num_stages):
            t_state = text.forward_stage(stage, t_state)
            v_state = vision.forward_stage(stage, v_state)
            if self.bridger.fuses(stage):
                v_delta, t_delta, previous = self.bridger(
                    stage, vision.stage_features(v_state), text.stage_features(t_state), previous)
                v_state = vision.add_to_features(v_state, v_delta)
                t_state = text.add_to_features(t_state, t_delta)
            if stage < vision.num_stages - 1:
                maps.append(vision.stage_features(v_state))
        maps.append(vision.finalize(v_state))
        words, sentence = text.finalize(t_state, token_ids)
        return maps, words, text.padding_mask(token_ids), sentence

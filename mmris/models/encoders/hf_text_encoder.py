"""Text towers from transformers (CLIP, SigLIP, BERT, RoBERTa) as staged encoders."""
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple, Union

import torch
from torch import nn
from transformers import BertModel, CLIPTextModelWithProjection, RobertaModel, SiglipTextModel
from transformers.masking_utils import create_bidirectional_mask, create_causal_mask

from mmris.registry import MODELS

from .hf_pretrained import two_tower_sub_configs
from .hf_staged_encoder import HFStagedEncoder
from .hf_tokenizer import HFTokenizer
from .staged_encoder import TextEncoder


def _clip_sentence(model: CLIPTextModelWithProjection, words: torch.Tensor,
                   token_ids: torch.Tensor) -> torch.Tensor:
    """The projected row at the end token, picked as transformers' CLIP does:
    the largest id for configs with the legacy ``eos_token_id=2``, else the
    first ``eos_token_id``."""
    eos = model.config.eos_token_id
    index = token_ids.argmax(dim=-1) if eos == 2 else (token_ids == eos).int().argmax(dim=-1)
    return model.text_projection(words[torch.arange(words.shape[0], device=words.device), index])


def _last_token_sentence(model: SiglipTextModel, words: torch.Tensor,
                         token_ids: torch.Tensor) -> torch.Tensor:
    """SigLIP's head on the last position (padding included, as trained)."""
    return model.head(words[:, -1])


def _pooler_sentence(model: Union[BertModel, RobertaModel], words: torch.Tensor,
                     token_ids: torch.Tensor) -> torch.Tensor:
    """BERT's pooler: tanh(dense(first token))."""
    return model.pooler(words)


@dataclass(frozen=True)
class TextTowerLayout:
    """Where a transformers text model keeps the pieces the stages run
    (attribute paths relative to the model; empty means absent)."""

    core: str  # the module holding embeddings and the encoder
    layers: str  # the ModuleList of blocks, relative to core
    final_norm: str  # relative to core
    causal: bool
    sentence: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
    sentence_dim: str  # config field giving the sentence feature's channels


LAYOUTS = {
    CLIPTextModelWithProjection: TextTowerLayout(
        core='text_model', layers='encoder.layers', final_norm='final_layer_norm', causal=True,
        sentence=_clip_sentence, sentence_dim='projection_dim'),
    SiglipTextModel: TextTowerLayout(
        core='', layers='encoder.layers', final_norm='final_layer_norm', causal=False,
        sentence=_last_token_sentence, sentence_dim='projection_size'),
    BertModel: TextTowerLayout(
        core='', layers='encoder.layer', final_norm='', causal=False, sentence=_pooler_sentence,
        sentence_dim='hidden_size'),
    RobertaModel: TextTowerLayout(
        core='', layers='encoder.layer', final_norm='', causal=False, sentence=_pooler_sentence,
        sentence_dim='hidden_size'),
}
#: Tower model types and the transformers class each is run as.
TEXT_TOWERS = {
    'clip_text_model': CLIPTextModelWithProjection,
    'siglip_text_model': SiglipTextModel,
    'bert': BertModel,
    'roberta': RobertaModel,
}


#: Two-tower directories and how to take their text tower's config.
TEXT_SUB_CONFIGS = two_tower_sub_configs('text_config')


@MODELS.register_module()
class HFTextEncoder(HFStagedEncoder, TextEncoder):
    """A transformers text tower run in stages, owning its tokenizer.

    Supported: CLIP (``clip`` or ``clip_text_model``, with its text
    projection), SigLIP (``siglip``, ``siglip_text_model``), BERT (``bert``)
    and RoBERTa (``roberta``). The wrapper calls the model's own modules:
    embeddings, the blocks of each stage with the model's attention mask
    (causal for CLIP; built from the tokenizer's padding unless the
    tokenizer gives its model no attention mask, as SigLIP's), the final
    norm and the model's own sentence pooling (CLIP: projected end token;
    SigLIP: head on the last position; BERT/RoBERTa: pooler). With no
    Bridger correction the output equals the model's forward. The
    transformers model always runs in eval mode (see :class:`HFStagedEncoder`).

    Args:
        config (dict, optional): HF config fields with ``model_type``; the
            architecture when ``pretrained`` is None, else checked against it.
        pretrained (str, optional): Local HF model directory whose weights
            ``init_weights`` loads (a CLIP or SigLIP directory gives its
            text tower).
        tokenizer (str, optional): HF directory with the tokenizer files;
            ``pretrained`` when None.
        text_length (int): Tokens per expression, L (17; 22 for G-Ref).
        num_stages (int): Stages the blocks are split into (3).
        fusion_layers (Sequence[int], optional): Last block (0-based) of
            each stage; equal stages when None.
        init_cfg (dict, optional): mmengine init config.

    State: ``(hidden (B, L, C), attention mask in the model's own form)``;
    ``stage_features`` is (L, B, C); ``finalize`` returns word features
    (B, L, C) and the sentence feature (B, embed_dim).
    """

    towers = TEXT_TOWERS
    sub_configs = TEXT_SUB_CONFIGS
    layouts = LAYOUTS

    def __init__(self, config: Optional[dict] = None, pretrained: Optional[str] = None,
                 tokenizer: Optional[str] = None, text_length: int = 17, num_stages: int = 3,
                 fusion_layers: Optional[Sequence[int]] = None, init_cfg=None):
        super().__init__(config, pretrained, num_stages, fusion_layers, init_cfg)
        owner = type(self).__name__
        if text_length > self.hf_config.max_position_embeddings:
            raise ValueError(f'{owner}: text_length={text_length} exceeds the text model\'s '
                             f'{self.hf_config.max_position_embeddings} positions')
        tokenizer = tokenizer or pretrained
        self.tokenizer = (HFTokenizer(tokenizer, text_length, self.hf_config.vocab_size, owner)
                          if tokenizer else None)
        self.text_length = text_length
        self.embed_dim = getattr(self.hf_config, self.layout.sentence_dim)

    def _tokenizer(self) -> HFTokenizer:
        if not self.tokenizer:
            raise ValueError(f'{type(self).__name__} has no tokenizer: set `tokenizer` (or '
                             f'`pretrained`) to a local Hugging Face directory with its files')
        return self.tokenizer

    def tokenize(self, texts: Union[str, Sequence[str]]) -> torch.Tensor:
        """Expressions -> token ids (B, L) on this encoder's device."""
        return self._tokenizer()(texts).to(next(self.model.parameters()).device)

    def padding_mask(self, token_ids: torch.Tensor) -> torch.Tensor:
        """(B, L) ids -> (B, L) bool, True where the tokenizer's attention
        mask is 0 (padding)."""
        return self._tokenizer().padding_mask(token_ids)

    def embed(self, token_ids: torch.Tensor):
        """(B, L) ids -> ``(hidden (B, L, C), attention mask)``."""
        hidden = self.core.embeddings(input_ids=token_ids)
        mask = None
        if self._tokenizer().uses_attention_mask:
            mask = (~self.padding_mask(token_ids)).long()
        if self.layout.causal:
            mask = create_causal_mask(config=self.model.config, inputs_embeds=hidden,
                                      attention_mask=mask, cache=None)
        else:
            mask = create_bidirectional_mask(config=self.model.config, inputs_embeds=hidden,
                                             attention_mask=mask)
        return hidden, mask

    def forward_stage(self, index: int, state):
        hidden, mask = state
        start, end = self.stages[index]
        kwargs = dict(is_causal=True) if self.layout.causal else {}
        for layer in self.layers[start:end]:
            hidden = layer(hidden, mask, **kwargs)
        return hidden, mask

    def stage_features(self, state) -> torch.Tensor:
        return state[0].transpose(0, 1)

    def add_to_features(self, state, delta: torch.Tensor):
        hidden, mask = state
        return hidden + delta.transpose(0, 1), mask

    def repeat_state(self, state, times: int):
        """The state of the texts repeated ``times`` (text ``i`` of repeat
        ``r`` at ``r * N + i``); a mask shared by the batch stays as it is."""
        hidden, mask = state
        if mask is not None and mask.shape[0] > 1:
            mask = mask.repeat(times, *(1, ) * (mask.dim() - 1))
        return hidden.repeat(times, 1, 1), mask

    def finalize(self, state, token_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Returns word features (B, L, C) and the sentence feature (B, embed_dim)."""
        words = state[0]
        if self.layout.final_norm:
            words = self.core.get_submodule(self.layout.final_norm)(words)
        return words, self.layout.sentence(self.model, words, token_ids)

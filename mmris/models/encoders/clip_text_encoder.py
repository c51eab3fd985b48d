"""CLIP's text transformer as a staged encoder that owns its tokenizer."""
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmris.registry import MODELS

from .clip_tokenizer import CLIPTokenizer
from .clip_transformer import Transformer
from .staged_encoder import TextEncoder, split_into_stages


@MODELS.register_module()
class CLIPTextEncoder(TextEncoder):
    """OpenAI CLIP text tower over ``text_length`` tokens.

    Token embedding plus the first ``text_length`` rows of the positional
    embedding, pre-LN blocks with a causal mask over those positions (padding
    is not masked, as in the reference), ``ln_final``. Word features are the
    ``ln_final`` output (not projected); the sentence feature is the row at
    the EOT token (the largest id) times ``text_projection``.

    Args:
        text_length (int): Tokens per expression, ``L`` (17; 22 for G-Ref).
        context_length (int): Rows of the released positional embedding (77).
        vocab_size (int): Token vocabulary (49408).
        width (int): Channels (512).
        layers (int): Blocks (12).
        heads (int): Attention heads (8).
        embed_dim (int): Sentence feature channels after ``text_projection``.
        num_stages (int): Stages the blocks are split into (3).
        fusion_layers (Sequence[int], optional): Last block (0-based) of
            each stage, e.g. ``(3, 7, 11)``; equal stages when None.
        vocab_file (str, optional): BPE vocabulary (``*.txt.gz``); ``None``
            means the copy shipped with mmsegmentation.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, text_length: int = 17, context_length: int = 77,
                 vocab_size: int = 49408, width: int = 512, layers: int = 12, heads: int = 8,
                 embed_dim: int = 512, num_stages: int = 3,
                 fusion_layers: Optional[Sequence[int]] = None, vocab_file: Optional[str] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        if text_length > context_length:
            raise ValueError(f'text_length={text_length} exceeds context_length={context_length}')
        self.text_length = text_length
        self.tokenizer = CLIPTokenizer(context_length=text_length, vocab_file=vocab_file)
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width))
        self.transformer = Transformer(width, layers, heads)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim))
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=width ** -0.5)
        self.stages = split_into_stages(layers, num_stages, fusion_layers)
        self.num_stages = num_stages
        self.stage_channels = (width, ) * num_stages
        self.embed_dim = embed_dim

    def tokenize(self, texts: Union[str, Sequence[str]]) -> torch.Tensor:
        """Expressions -> token ids (B, L) on this encoder's device."""
        return self.tokenizer(texts).to(self.token_embedding.weight.device)

    def padding_mask(self, token_ids: torch.Tensor) -> torch.Tensor:
        """(B, L) ids -> (B, L) bool, True at padding (id 0)."""
        return token_ids == 0

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        """(B, L) ids -> (L, B, width)."""
        x = self.token_embedding(token_ids)
        x = x + self.positional_embedding[:token_ids.shape[1]].to(x.dtype)
        return x.transpose(0, 1)

    def forward_stage(self, index: int, state: torch.Tensor) -> torch.Tensor:
        start, end = self.stages[index]
        return self.transformer.forward_blocks(state, start, end, causal=True)

    def stage_features(self, state: torch.Tensor) -> torch.Tensor:
        return state

    def add_to_features(self, state: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        return state + delta

    def repeat_state(self, state: torch.Tensor, times: int) -> torch.Tensor:
        """(L, N, C) -> (L, times * N, C)."""
        return state.repeat(1, times, 1)

    def finalize(self, state: torch.Tensor, token_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Returns word features (B, L, width) and the sentence feature (B, embed_dim)."""
        words = self.ln_final(state.transpose(0, 1))
        eot = words[torch.arange(words.shape[0]), token_ids.argmax(dim=-1)]
        return words, eot @ self.text_projection

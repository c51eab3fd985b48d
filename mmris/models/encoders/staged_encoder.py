"""The staged interfaces a frozen encoder exposes to the Bridger.

A tower runs as ``embed``, then ``forward_stage(0)`` ... ``forward_stage(n-1)``,
then ``finalize``. Between stages the Bridger reads ``stage_features`` and
adds its correction back with ``add_to_features``; it never touches an
encoder's own attributes. The running ``state`` is opaque to the caller:
each tower has its own state type, and a text state is repeated for a batch
of images by the text tower itself (:meth:`TextEncoder.repeat_state`).
:class:`VisionEncoder` and :class:`TextEncoder` are the two interfaces; what
they share (the stage walk, freezing, OpenAI-layout weights) is
:class:`StagedEncoder`.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule


def split_into_stages(layers: int, num_stages: int,
                      fusion_layers: Optional[Sequence[int]] = None) -> List[Tuple[int, int]]:
    """``[(start, end), ...]``: which of ``layers`` blocks each stage runs.

    Without ``fusion_layers`` the blocks are cut into ``num_stages`` equal
    stages. ``fusion_layers`` (0-based, increasing) names the last block of
    each stage, after which the Bridger fuses: ``(3, 7, 11)`` gives blocks
    0-3, 4-7 and 8-11 of 12. The last stage ends with the last block, so
    every block runs before ``finalize``.

    Raises ValueError naming the fix when the split is impossible.
    """
    if fusion_layers is None:
        if num_stages <= 0 or layers % num_stages:
            raise ValueError(f'cannot split {layers} transformer layers into {num_stages} '
                             f'equal stages: set num_stages to a divisor of {layers} or give '
                             f'fusion_layers')
        size = layers // num_stages
        return [(i * size, (i + 1) * size) for i in range(num_stages)]
    ends = [int(layer) + 1 for layer in fusion_layers]
    if len(ends) != num_stages:
        raise ValueError(f'fusion_layers {tuple(fusion_layers)} gives {len(ends)} stages but '
                         f'num_stages={num_stages}: set num_stages={len(ends)}')
    if any(end <= start for start, end in zip([0] + ends, ends)) or ends[-1] != layers:
        raise ValueError(f'fusion_layers {tuple(fusion_layers)} must increase from 0 and end with '
                         f'the last of the {layers} layers ({layers - 1})')
    return list(zip([0] + ends[:-1], ends))


class StagedEncoder(BaseModule):
    """What the two staged interfaces share (:class:`VisionEncoder`,
    :class:`TextEncoder`; an encoder derives from one of them).

    Subclasses set ``num_stages`` and ``stage_channels`` (the channels of
    ``stage_features`` after each stage) and implement the methods below.
    Encoders in OpenAI's CLIP key layout load its weights with
    :meth:`load_openai_state_dict`; the others (``takes_openai_weights``
    False, e.g. the transformers towers) load their own in ``init_weights``.
    """

    num_stages: int
    stage_channels: Tuple[int, ...]
    #: Whether the backbone's ``clip_weights`` (OpenAI layout) load into it.
    takes_openai_weights: bool = True
    #: Key prefixes that OpenAI's weights do not hold (initialised randomly).
    keys_not_in_openai_weights: Tuple[str, ...] = ()
    #: Parameters whose name contains one of these are positional embeddings,
    #: which stay trainable in a frozen tower unless frozen explicitly.
    positional_embedding_keys: Tuple[str, ...] = ('positional_embedding', )

    def embed(self, inputs: torch.Tensor) -> Any:
        """Turn the raw input into the state before stage 0."""
        raise NotImplementedError

    def forward_stage(self, index: int, state: Any) -> Any:
        """Run stage ``index`` on ``state``; returns the new state."""
        raise NotImplementedError

    def stage_features(self, state: Any) -> torch.Tensor:
        """The features of ``state`` the Bridger reads: a vision map
        (B, C, H, W) or a text sequence (L, B, C)."""
        raise NotImplementedError

    def add_to_features(self, state: Any, delta: torch.Tensor) -> Any:
        """Add ``delta`` (shaped like :meth:`stage_features`) to the state."""
        raise NotImplementedError

    @property
    def embed_channels(self) -> int:
        """Channels of ``stage_features`` right after :meth:`embed`."""
        return self.stage_channels[0]

    def is_positional_embedding(self, name: str) -> bool:
        """Whether parameter ``name`` (relative to this encoder) is a
        positional embedding."""
        return any(key in name for key in self.positional_embedding_keys)

    def adapt_openai_state_dict(self, state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Fit released weights to this configuration (e.g. resize a
        positional embedding); by default unchanged."""
        return state_dict

    def load_openai_state_dict(self, state_dict: Dict[str, torch.Tensor], source: str) -> None:
        """Load OpenAI-layout weights (keys relative to this encoder).

        Raises ValueError naming ``source`` and the first key whose shape
        differs from this configuration, or the keys missing or unexpected.
        """
        state_dict = self.adapt_openai_state_dict(dict(state_dict))
        own = self.state_dict()
        for key, value in state_dict.items():
            if key in own and own[key].shape != value.shape:
                raise ValueError(
                    f'{source}: weight {key!r} has shape {tuple(value.shape)} but the '
                    f'{type(self).__name__} config needs {tuple(own[key].shape)}; '
                    f'the weights file does not match the model config')
        unexpected = sorted(set(state_dict) - set(own))
        missing = sorted(key for key in set(own) - set(state_dict)
                         if not key.startswith(self.keys_not_in_openai_weights)
                         and not key.endswith('num_batches_tracked'))
        if unexpected or missing:
            raise ValueError(
                f'{source}: the weights do not fit {type(self).__name__}: '
                f'missing {missing[:5]}{" ..." if len(missing) > 5 else ""}, '
                f'unexpected {unexpected[:5]}{" ..." if len(unexpected) > 5 else ""}')
        with torch.no_grad():
            for key, value in state_dict.items():
                own[key].copy_(value.to(own[key].dtype))


class VisionEncoder(StagedEncoder):
    """A staged image tower. Its state is its own (a map, or tokens and
    their grid); ``stage_features`` gives a map (B, C, H, W).

    Subclasses also set ``output_dim`` (channels of :meth:`finalize` and
    :meth:`pooled`).
    """

    output_dim: int

    def finalize(self, state: Any) -> torch.Tensor:
        """The output map (B, output_dim, H, W) of the final state."""
        raise NotImplementedError

    def pooled(self, state: Any) -> torch.Tensor:
        """The pooled image embedding (B, output_dim) of the final state:
        the image feature CLIP scores against sentence features (e.g. a ViT's
        class token after ``ln_post`` and ``proj``)."""
        raise NotImplementedError(f'{type(self).__name__} has no pooled image embedding')


class TextEncoder(StagedEncoder):
    """A staged text tower that owns its tokenizer. Its state is its own;
    ``stage_features`` gives a sequence (L, N, C).

    Subclasses also set ``embed_dim`` (channels of the sentence feature).
    """

    embed_dim: int

    def tokenize(self, texts: Union[str, Sequence[str]]) -> torch.Tensor:
        """Texts -> token ids (N, L)."""
        raise NotImplementedError

    def padding_mask(self, token_ids: torch.Tensor) -> torch.Tensor:
        """(N, L) bool, True at padding."""
        raise NotImplementedError

    def repeat_state(self, state: Any, times: int) -> Any:
        """The state of the N texts repeated ``times`` (text ``i`` of repeat
        ``r`` at ``r * N + i``), as if the ids had been repeated."""
        raise NotImplementedError(f'{type(self).__name__} cannot repeat its state')

    def finalize(self, state: Any, token_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Word features (N, L, C) and the sentence feature (N, embed_dim)
        of the final state of ``token_ids``."""
        raise NotImplementedError

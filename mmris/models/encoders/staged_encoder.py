"""The staged interface a frozen encoder exposes to the Bridger.

A tower runs as ``embed``, then ``forward_stage(0)`` ... ``forward_stage(n-1)``,
then ``finalize``. Between stages the Bridger reads ``stage_features`` and
adds its correction back with ``add_to_features``; it never touches an
encoder's own attributes. The running ``state`` is opaque to the caller.
"""
from typing import Any, Dict, Tuple

import torch
from mmengine.model import BaseModule


class StagedEncoder(BaseModule):
    """Base class of the encoders the Bridger can drive.

    Subclasses set ``num_stages`` and ``stage_channels`` (the channels of
    ``stage_features`` after each stage) and implement the methods below.
    A text encoder also owns its tokenizer and provides ``tokenize(texts)``
    -> ids (B, L), ``padding_mask(ids)`` -> (B, L) bool (True at padding)
    and ``finalize(state, ids)`` -> word features (B, L, C) and the sentence
    feature (B, D).
    Their parameter names follow OpenAI's CLIP release so that its weights
    load with :meth:`load_openai_state_dict`.
    """

    num_stages: int
    stage_channels: Tuple[int, ...]
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

    def repeat_state(self, state: Any, times: int) -> Any:
        """The state of a text batch repeated ``times`` (text ``i`` of repeat
        ``r`` at ``r * N + i``), as if the ids had been repeated."""
        raise NotImplementedError(f'{type(self).__name__} cannot repeat its state')

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

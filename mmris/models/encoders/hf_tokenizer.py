"""A transformers tokenizer under mmris' token-id contract."""
import os.path as osp
from typing import Optional, Sequence, Union

import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from .hf_pretrained import quiet_transformers


class HFTokenizer:
    """Referring expressions -> token ids by the tokenizer of an HF directory.

    Each row is the tokenizer's own encoding with its special tokens (e.g.
    ``[CLS] ... [SEP]``, ``<s> ... </s>``, ``<|startoftext|> ...
    <|endoftext|>``). A longer one keeps its first ``length`` tokens and
    ends with the end token instead of the last kept one (transformers'
    right truncation, the same contract as :class:`CLIPTokenizer`); shorter
    ones are right-padded with the tokenizer's pad id. Text that looks like a
    special token (``"[SEP]"``) is split as plain text.

    The tokenizer is read with ``AutoTokenizer`` (``local_files_only``) on
    first use, so a model builds without its files (e.g. to count
    parameters).

    Args:
        directory (str): HF directory with the tokenizer files.
        length (int): Ids per expression, L.
        vocab_size (int): Rows of the text model's token embedding; a
            tokenizer with more tokens is refused.
        owner (str): Name of the encoder using it, for error messages.
    """

    def __init__(self, directory: str, length: int, vocab_size: int, owner: str):
        self.directory = directory
        self.length = length
        self.vocab_size = vocab_size
        self.owner = owner
        self._tokenizer: Optional[PreTrainedTokenizerBase] = None

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """The transformers tokenizer, loaded and checked on first use."""
        if self._tokenizer is None:
            self._tokenizer = self._load()
        return self._tokenizer

    def _load(self) -> PreTrainedTokenizerBase:
        source = f'{self.owner}: tokenizer directory {self.directory!r}'
        if not osp.isdir(self.directory):
            raise FileNotFoundError(f'{source} does not exist; set the encoder\'s `tokenizer` (or '
                                    f'`pretrained`) to a local Hugging Face directory with the '
                                    f'tokenizer files')
        try:
            with quiet_transformers():
                tokenizer = AutoTokenizer.from_pretrained(self.directory, local_files_only=True)
        except (OSError, ValueError) as error:
            raise ValueError(f'{source} holds no tokenizer transformers can read: {error}') from error
        if len(tokenizer) > self.vocab_size:
            raise ValueError(
                f'{source}: its vocabulary has {len(tokenizer)} tokens but the text model\'s '
                f'embedding table has {self.vocab_size} rows, so some ids have no embedding; use '
                f'the tokenizer saved with that text model')
        if tokenizer.pad_token_id is None:
            raise ValueError(f'{source}: the tokenizer has no padding token; mmris pads every '
                             f'expression to {self.length} tokens')
        end_token_id = self.end_token_id(tokenizer)
        if end_token_id is None or tokenizer('a')['input_ids'][-1] != end_token_id:
            raise ValueError(f'{source}: the tokenizer does not end a sequence with a separator or '
                             f'end-of-sequence token; mmris needs one to mark where the text ends')
        tokenizer.padding_side = 'right'
        tokenizer.truncation_side = 'right'
        return tokenizer

    @staticmethod
    def end_token_id(tokenizer: PreTrainedTokenizerBase) -> Optional[int]:
        """The token the tokenizer ends a sequence with (separator, else end-of-sequence)."""
        return tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id

    @property
    def uses_attention_mask(self) -> bool:
        """Whether the tokenizer gives its model an attention mask (SigLIP's does not)."""
        return 'attention_mask' in self.tokenizer.model_input_names

    def __call__(self, texts: Union[str, Sequence[str]]) -> torch.LongTensor:
        """One expression or B of them -> ids (B, length)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f'expression {i} must be a str, got {type(text).__name__}: {text!r}')
        if not texts:
            return torch.zeros(0, self.length, dtype=torch.long)
        encoded = self.tokenizer(texts, padding='max_length', truncation=True, max_length=self.length,
                                 split_special_tokens=True, return_special_tokens_mask=True,
                                 return_attention_mask=True, return_tensors='pt')
        words = encoded['attention_mask'].bool() & ~encoded['special_tokens_mask'].bool()
        for i, text in enumerate(texts):
            if not words[i].any():
                raise ValueError(f'expression {i} ({text!r}) has no text after tokenization; '
                                 'referring expressions must contain text')
        return encoded['input_ids']

    def padding_mask(self, token_ids: torch.Tensor) -> torch.Tensor:
        """(B, L) ids -> (B, L) bool, True at padding: every position after
        the row's first end token (its attention mask is 1 up to and
        including it; the pad id may equal the end id, as in CLIP)."""
        is_end = token_ids == self.end_token_id(self.tokenizer)
        return (is_end.cumsum(dim=1) - is_end.long()) > 0

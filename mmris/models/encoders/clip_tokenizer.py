"""CLIP's byte-level BPE tokenizer, giving the same ids as OpenAI's."""
import gzip
import html
import os
import warnings
from functools import lru_cache
from typing import List, Optional, Sequence, Union

import ftfy
import mmseg.utils
import regex
import torch
from tokenizers import pre_tokenizers
from transformers import CLIPTokenizerFast

VOCAB_NAME = 'bpe_simple_vocab_16e6.txt.gz'
NUM_MERGES = 49152 - 256 - 2
SOT, EOT = '<|startoftext|>', '<|endoftext|>'
# OpenAI's word split, run with the `regex` module and IGNORECASE as OpenAI
# runs it: the Rust regex inside `tokenizers` has other Unicode tables and
# splits thousands of code points differently.
WORD_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|"""
    r"""[^\s\p{L}\p{N}]+""", regex.IGNORECASE)


def default_vocab_file() -> str:
    """Path of the vocabulary shipped with mmsegmentation (``mmseg/utils/``),
    the same file as OpenAI's."""
    path = os.path.join(os.path.dirname(mmseg.utils.__file__), VOCAB_NAME)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"CLIP's BPE vocabulary {path} is missing from the installed mmsegmentation: "
            'reinstall it (`pip install --force-reinstall mmsegmentation==1.2.2`) or set the '
            'config key `vocab_file` to a copy of bpe_simple_vocab_16e6.txt.gz.')
    return path


def clean_text(text: str) -> str:
    """OpenAI's text cleaning: fix mojibake, unescape HTML twice, fold
    whitespace, lowercase."""
    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return regex.sub(r'\s+', ' ', text).strip().lower()


@lru_cache(maxsize=None)
def load_bpe(vocab_file: str) -> CLIPTokenizerFast:
    """Build (once per file) the BPE tokenizer of a ``*.txt.gz`` merges file.

    The ids follow OpenAI: the 256 byte symbols (in byte-level order, which
    is code point order), the same with ``</w>``, one token per merge, then
    SOT (49406) and EOT (49407). Normalisation and word splitting are left to
    :func:`clean_text` and :data:`WORD_PATTERN`, so the tokenizer only maps
    each word's bytes to symbols and applies the merges.
    """
    with gzip.open(vocab_file, 'rt', encoding='utf-8') as f:
        merges = [tuple(line.split()) for line in f.read().split('\n')[1:NUM_MERGES + 1]]
    symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = symbols + [s + '</w>' for s in symbols] + [''.join(m) for m in merges] + [SOT, EOT]
    tokenizer = CLIPTokenizerFast(vocab={t: i for i, t in enumerate(tokens)}, merges=merges)
    backend = tokenizer.backend_tokenizer
    backend.normalizer = None
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    return tokenizer


class CLIPTokenizer:
    """Referring expressions -> CLIP token ids, as OpenAI's ``clip.tokenize``
    with ``truncate=True``.

    Each row is ``[SOT] + BPE ids + [EOT]`` padded with 0 to
    ``context_length``; a longer one keeps its first ``context_length`` ids
    and ends with EOT instead of the last kept id. The first expression a
    tokenizer truncates gets a warning saying how many of its tokens were
    kept (the model only reads that many); later ones are truncated
    silently.

    Args:
        context_length (int): Ids per expression, L (at least 2).
        vocab_file (str, optional): CLIP's BPE vocabulary
            (``bpe_simple_vocab_16e6.txt.gz``); ``None`` takes the one
            shipped with mmsegmentation. Loaded on first use and
            shared by all tokenizers of the same file.
    """

    sot_id = 49406
    eot_id = 49407

    def __init__(self, context_length: int, vocab_file: Optional[str] = None):
        if context_length < 2:
            raise ValueError(f'context_length must be at least 2 (SOT and EOT), got {context_length}')
        if vocab_file is None:
            vocab_file = default_vocab_file()
        elif not os.path.isfile(vocab_file):
            raise FileNotFoundError(f'CLIP BPE vocabulary file not found: {vocab_file}')
        self.context_length = context_length
        self.vocab_file = os.path.abspath(vocab_file)
        self.warned_truncation = False

    def encode(self, texts: Sequence[str]) -> List[List[int]]:
        """BPE ids of each expression, without SOT/EOT or truncation."""
        words = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f'expression {i} must be a str, got {type(text).__name__}: {text!r}')
            words.append(WORD_PATTERN.findall(clean_text(text)))
            if not words[-1]:
                raise ValueError(f'expression {i} ({text!r}) has no text after cleaning; '
                                 'referring expressions must contain text')
        if not words:
            return []
        return load_bpe(self.vocab_file)(
            words, is_split_into_words=True, add_special_tokens=False)['input_ids']

    def __call__(self, texts: Union[str, Sequence[str]]) -> torch.LongTensor:
        """Tokenize one expression or a sequence of B expressions.

        Returns:
            torch.LongTensor: Token ids, shape (B, context_length); B is 1
            for a single str.
        """
        if isinstance(texts, str):
            texts = [texts]
        ids = torch.zeros(len(texts), self.context_length, dtype=torch.long)
        budget = self.context_length - 2
        for row, text, bpe_ids in zip(ids, texts, self.encode(texts)):
            if len(bpe_ids) > budget and not self.warned_truncation:
                self.warned_truncation = True
                warnings.warn(
                    f'the expression {text!r} has {len(bpe_ids)} tokens, but the model reads '
                    f'{budget} (text_length {self.context_length}, with the start and end '
                    f'tokens): only its first {budget} tokens were kept. Longer expressions '
                    f'are truncated the same way without further warnings.', stacklevel=3)
            tokens = [self.sot_id] + bpe_ids[:budget] + [self.eot_id]
            row[:len(tokens)] = torch.tensor(tokens)
        return ids

"""HFTokenizer: transformers tokenizers under mmris' truncation and padding contract."""
import pytest
import torch
from test_clip_tokenizer import EOT, GOLDEN, LONG, LONG_IDS, SOT

from mmris.models.encoders import HFTokenizer


def tokenizer_of(directory: str, length: int) -> HFTokenizer:
    return HFTokenizer(directory, length, vocab_size=50000, owner='test')


# transformers' CLIP tokenizer neither unescapes HTML nor repairs mojibake
# (OpenAI's does, with ftfy); on every other golden string the ids agree.
OPENAI_ONLY = ('cat &amp;amp; dog &lt;3', 'the cafÃ© on the â€œleftâ€\x9d')


@pytest.mark.parametrize('text', [text for text in GOLDEN if text not in OPENAI_ONLY])
def test_hf_clip_directory_gives_openais_ids(text, tiny_hf_dir):
    ids = tokenizer_of(tiny_hf_dir('clip'), 20)(text)[0]
    expected = [SOT] + GOLDEN[text] + [EOT]
    assert ids[:len(expected)].tolist() == expected
    assert (ids[len(expected):] == EOT).all()  # HF CLIP pads with the end token


@pytest.mark.parametrize('length', [17, 22])
def test_truncation_keeps_the_head_and_ends_with_the_end_token(length, tiny_hf_dir):
    ids = tokenizer_of(tiny_hf_dir('clip'), length)(LONG)
    assert ids.tolist() == [[SOT] + LONG_IDS[:length - 2] + [EOT]]
    bert = tokenizer_of(tiny_hf_dir('bert'), 6)
    words = bert.tokenizer('the red circle on the left of the blue square',
                           add_special_tokens=False)['input_ids']
    cls, sep = bert.tokenizer.cls_token_id, bert.tokenizer.sep_token_id
    assert bert('the red circle on the left of the blue square').tolist() == [[cls] + words[:4] + [sep]]


def test_padding_mask_marks_what_follows_the_end_token(tiny_hf_dir):
    tokenizer = tokenizer_of(tiny_hf_dir('clip'), 10)
    ids = tokenizer(['a man', 'the dog on the left'])
    assert tokenizer.padding_mask(ids).tolist() == [
        [False] * 4 + [True] * 6, [False] * 7 + [True] * 3]


def test_text_that_looks_like_a_special_token_is_plain_text(tiny_hf_dir):
    tokenizer = tokenizer_of(tiny_hf_dir('bert'), 12)
    ids = tokenizer('the [SEP] dog')[0]
    assert (ids == tokenizer.tokenizer.sep_token_id).sum() == 1
    assert not tokenizer.padding_mask(ids[None])[0, :6].any()


@pytest.mark.parametrize('text', ['', '   '])
def test_empty_expression_is_refused(text, tiny_hf_dir):
    with pytest.raises(ValueError, match=r'expression 1 .*must contain text'):
        tokenizer_of(tiny_hf_dir('bert'), 8)(['a dog', text])
    with pytest.raises(TypeError, match='expression 0 must be a str'):
        tokenizer_of(tiny_hf_dir('bert'), 8)([3])


def test_tokenizer_without_an_end_token_is_refused(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    backend = Tokenizer(models.WordLevel({'<pad>': 0, '<unk>': 1, 'a': 2}, unk_token='<unk>'))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=backend, unk_token='<unk>',
                            pad_token='<pad>').save_pretrained(str(tmp_path))
    with pytest.raises(ValueError, match='does not end a sequence with a separator'):
        tokenizer_of(str(tmp_path), 8)('a')


def test_directory_without_a_tokenizer_is_refused(tiny_hf_dir):
    with pytest.raises(ValueError, match='holds no tokenizer transformers can read'):
        tokenizer_of(tiny_hf_dir('vit'), 8)('a dog')


def test_batch_shape(tiny_hf_dir):
    ids = tokenizer_of(tiny_hf_dir('roberta'), 30)(['a', 'b c'])
    assert ids.shape == (2, 30) and ids.dtype == torch.long

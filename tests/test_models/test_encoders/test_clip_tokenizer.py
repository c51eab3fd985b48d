"""CLIPTokenizer against ids from OpenAI's CLIP tokenizer."""
import os
import shutil

import pytest
import torch

from mmris.models.encoders.clip_tokenizer import CLIPTokenizer, default_vocab_file

SOT, EOT = 49406, 49407

# Expected BPE ids (without SOT/EOT) produced by OpenAI's CLIP SimpleTokenizer
# (`clip.tokenize`) on the same strings.
GOLDEN = {
    'A man in a RED Shirt': [320, 786, 530, 320, 736, 2523],
    '  the  dog\t\n on   the left ': [518, 1929, 525, 518, 1823],
    'cat &amp;amp; dog &lt;3': [2368, 261, 1929, 283, 274],
    'café résumé naïve': [15304, 29106, 7054, 4166, 1097, 35689, 563],
    'smiling 😀 kid 👍🏽': [9200, 7334, 3551, 43722],
    'left-most guy, 2nd from right!!! (blue)':
    [1823, 268, 1096, 2149, 267, 273, 1764, 633, 1155, 995, 263, 1746, 264],
    "it's the man who'd eat 1024 apples": [585, 568, 518, 786, 822, 1896, 3384, 272, 271, 273, 275, 14032],
    'the cafÃ© on the â€œleftâ€\x9d': [518, 15304, 525, 518, 257, 1823, 257],  # mojibake fixed by ftfy
}
LONG = ('the tall man in the dark blue jacket standing to the left of the red car '
        'near the tree on a sunny day')
LONG_IDS = [518, 7771, 786, 530, 518, 3144, 1746, 6164, 2862, 531, 518, 1823, 539, 518, 736, 1615,
            2252, 518, 2677, 525, 320, 5438, 575]


@pytest.mark.parametrize('text', list(GOLDEN))
def test_matches_openai_ids(text):
    ids = CLIPTokenizer(context_length=77)(text)
    expected = [SOT] + GOLDEN[text] + [EOT]
    assert ids[0, :len(expected)].tolist() == expected
    assert not ids[0, len(expected):].any()


@pytest.mark.parametrize('length', [17, 22])
def test_truncation_keeps_head_and_ends_with_eot(length):
    with pytest.warns(UserWarning):
        ids = CLIPTokenizer(context_length=length)(LONG)
    assert ids.tolist() == [[SOT] + LONG_IDS[:length - 2] + [EOT]]


def test_truncation_warns_once_with_the_tokens_kept(recwarn):
    tokenizer = CLIPTokenizer(context_length=17)
    tokenizer([LONG, 'a dog', LONG])
    tokenizer(LONG)
    messages = [str(w.message) for w in recwarn if 'tokens' in str(w.message)]
    assert messages == [f'the expression {LONG!r} has {len(LONG_IDS)} tokens, but the model '
                        f'reads 15 (text_length 17, with the start and end tokens): only its '
                        f'first 15 tokens were kept. Longer expressions are truncated the same '
                        f'way without further warnings.']


def test_exact_fit_is_not_truncated(recwarn):
    ids = CLIPTokenizer(context_length=len(LONG_IDS) + 2)(LONG)
    assert ids.tolist() == [[SOT] + LONG_IDS + [EOT]]
    assert not [w for w in recwarn if 'tokens' in str(w.message)]


def test_batch_shape_and_padding():
    texts = list(GOLDEN)[:3]
    ids = CLIPTokenizer(context_length=20)(texts)
    assert ids.shape == (3, 20) and ids.dtype == torch.long
    for row, text in zip(ids, texts):
        n = len(GOLDEN[text]) + 2
        assert row[n - 1] == EOT and not row[n:].any()
    assert CLIPTokenizer(context_length=20)(texts[0]).shape == (1, 20)


@pytest.mark.parametrize('text', ['', '   ', '\t\n', '&nbsp;'])
def test_empty_expression_raises(text):
    with pytest.raises(ValueError, match=r'expression 1 \(.*\).*must contain text') as info:
        CLIPTokenizer(context_length=77)(['a dog', text])
    assert repr(text) in str(info.value)


def test_non_str_expression_raises():
    with pytest.raises(TypeError, match='expression 1 must be a str'):
        CLIPTokenizer(context_length=77)(['a dog', 3])


def test_explicit_vocab_file(tmp_path):
    vocab = shutil.copy(default_vocab_file(), tmp_path / 'vocab.txt.gz')
    text = 'A man in a RED Shirt'
    ids = CLIPTokenizer(context_length=10, vocab_file=str(vocab))(text)
    assert ids.tolist() == [[SOT] + GOLDEN[text] + [EOT, 0, 0]]


def test_missing_vocab_file_named(tmp_path):
    missing = str(tmp_path / 'nowhere.txt.gz')
    with pytest.raises(FileNotFoundError, match='nowhere.txt.gz'):
        CLIPTokenizer(context_length=77, vocab_file=missing)


def test_default_vocabulary_is_mmsegs_copy():
    """The vocabulary comes from mmsegmentation, a dependency; open_clip is not needed."""
    import mmseg.utils
    assert default_vocab_file() == os.path.join(os.path.dirname(mmseg.utils.__file__),
                                                'bpe_simple_vocab_16e6.txt.gz')


def test_missing_default_vocabulary_explains_fix(monkeypatch, tmp_path):
    import mmseg.utils
    monkeypatch.setattr(mmseg.utils, '__file__', str(tmp_path / '__init__.py'))
    with pytest.raises(FileNotFoundError) as info:
        CLIPTokenizer(context_length=77)
    message = str(info.value)
    assert 'mmsegmentation' in message and 'vocab_file' in message

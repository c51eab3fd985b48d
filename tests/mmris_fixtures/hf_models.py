"""Tiny transformers models written with save_pretrained, and the bridged
configs shrunk to run on them; nothing is downloaded."""
from pathlib import Path

import pytest

from .shrinking import TINY_ETRIS, TINY_VISION, letterbox_to_64

REPO = Path(__file__).resolve().parents[2]

# Tiny transformers models written with save_pretrained (3 blocks of width
# 32), with tokenizers for the text towers; nothing is downloaded.
TINY_HF = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=2)
TINY_HF_WORDS = ('the a an red green blue yellow circle square triangle shape object one thing '
                 'left right of to above below under on at top bottom man in shirt dog').split()


def clip_bpe_tokenizer():
    """transformers' CLIPTokenizer over CLIP's BPE vocabulary (mmseg's copy),
    the tokenizer an HF CLIP directory holds."""
    import gzip

    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    from mmris.models.encoders.clip_tokenizer import NUM_MERGES, default_vocab_file
    with gzip.open(default_vocab_file(), 'rt', encoding='utf-8') as f:
        merges = [tuple(line.split()) for line in f.read().split('\n')[1:NUM_MERGES + 1]]
    symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = (symbols + [s + '</w>' for s in symbols] + [''.join(m) for m in merges] +
              ['<|startoftext|>', '<|endoftext|>'])
    return CLIPTokenizer(vocab={t: i for i, t in enumerate(tokens)}, merges=merges)


def word_tokenizer(directory, kind: str):
    """A tokenizer over :data:`TINY_HF_WORDS` plus letters: BERT's WordPiece
    (``bert``), RoBERTa's byte-level BPE (``roberta``), or a SigLIP-style one
    that ends with ``</s>``, pads with id 1 and gives no attention mask."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertTokenizer, PreTrainedTokenizerFast, RobertaTokenizer
    letters = list('abcdefghijklmnopqrstuvwxyz0123456789')
    if kind == 'bert':
        vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', *TINY_HF_WORDS, *letters,
                 *(f'##{c}' for c in letters)]
        (directory / 'vocab.txt').write_text('\n'.join(vocab) + '\n')
        return BertTokenizer(vocab=str(directory / 'vocab.txt'))
    if kind == 'roberta':
        symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
        merges = [('Ġ', c) for c in letters[:26]]
        vocab = ['<s>', '<pad>', '</s>', '<unk>', *symbols, *(''.join(m) for m in merges), '<mask>']
        return RobertaTokenizer(vocab={t: i for i, t in enumerate(vocab)}, merges=merges)
    vocab = {'<unk>': 0, '</s>': 1, '<pad>': 2, **{w: i + 3 for i, w in enumerate(TINY_HF_WORDS)}}
    backend = Tokenizer(models.WordLevel(vocab, unk_token='<unk>'))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(single='$A </s>',
                                                           special_tokens=[('</s>', 1)])
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token='<unk>', eos_token='</s>',
                                   pad_token='</s>', model_input_names=['input_ids'])


def write_tiny_hf_model(kind: str, directory) -> str:
    """Write a tiny random transformers model of ``kind`` (clip, siglip,
    dinov2, dinov2_with_registers, vit, bert, roberta) into ``directory``
    with ``save_pretrained``, text towers with their tokenizer; returns the
    directory. Images: 32 px at patch 8 (28 px at patch 7 for DINOv2)."""
    import torch
    import transformers as hf
    torch.manual_seed(sum(map(ord, kind)))
    vision = dict(TINY_HF, image_size=32, patch_size=8)
    if kind == 'clip':  # MLPs 4x wide, as OpenAI's (mmris' OpenAI-layout towers load it too)
        model = hf.CLIPModel(hf.CLIPConfig(
            text_config=dict(TINY_HF, intermediate_size=128, vocab_size=49408,
                             max_position_embeddings=77),
            vision_config=dict(vision, intermediate_size=128), projection_dim=24))
        tokenizer = clip_bpe_tokenizer()
    elif kind == 'siglip':
        model = hf.SiglipModel(hf.SiglipConfig(
            text_config=dict(TINY_HF, vocab_size=64, max_position_embeddings=32, projection_size=24,
                             bos_token_id=None, eos_token_id=1, pad_token_id=1),
            vision_config=vision))
        tokenizer = word_tokenizer(directory, kind)
    elif kind in ('dinov2', 'dinov2_with_registers'):
        config = hf.AutoConfig.for_model(kind, **TINY_HF, image_size=28, patch_size=7)
        model, tokenizer = hf.AutoModel.from_config(config), None
    elif kind == 'vit':
        model, tokenizer = hf.ViTModel(hf.ViTConfig(**vision)), None
    else:
        tokenizer = word_tokenizer(directory, kind)
        config = hf.AutoConfig.for_model(kind, **TINY_HF, vocab_size=len(tokenizer),
                                         max_position_embeddings=40,
                                         pad_token_id=tokenizer.pad_token_id)
        model = hf.AutoModel.from_config(config)
    model.save_pretrained(str(directory))
    if tokenizer is not None:
        tokenizer.save_pretrained(str(directory))
    return str(directory)


@pytest.fixture(scope='session')
def tiny_hf_dir(tmp_path_factory):
    """``tiny_hf_dir(kind)``: the directory of :func:`write_tiny_hf_model`,
    written once per session."""
    written = {}

    def directory(kind: str) -> str:
        if kind not in written:
            written[kind] = write_tiny_hf_model(kind, tmp_path_factory.mktemp(f'hf_{kind}'))
        return written[kind]

    return directory


#: model_type of a transformers tower -> the tiny directory kind holding one.
TINY_HF_KIND = {'clip_vision_model': 'clip', 'clip_text_model': 'clip',
                'siglip_vision_model': 'siglip', 'siglip_text_model': 'siglip',
                'dinov2': 'dinov2', 'dinov2_with_registers': 'dinov2_with_registers',
                'vit': 'vit', 'bert': 'bert', 'roberta': 'roberta'}
TINY_CLIP_TEXT = {k.rpartition('.')[2]: v for k, v in TINY_ETRIS.items()
                  if k.startswith('model.backbone.text_encoder.')}


def tiny_bridged_config(name: str, hf_dir):
    """``configs/<name>.py`` (e.g. ``etris/dinov2-b14_clip-text_refcoco``)
    shrunk: each transformers tower becomes the tiny model of the same type
    from ``hf_dir(kind)`` (the :func:`tiny_hf_dir` fixture), each
    OpenAI-layout tower the tiny ViT / text tower of :func:`tiny_etris_config`,
    both with equal stages (words 32 wide, as the tiny neck); inputs are
    64 x 64. The neck and head are given the widths of the tiny towers (a
    transformers tower's projection, if any, sets them)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / f'{name}.py'))
    backbone = cfg.model.backbone
    for key, tiny_openai in (('vision_encoder', TINY_VISION['vitb']), ('text_encoder', TINY_CLIP_TEXT)):
        encoder = backbone[key]
        if encoder.type.rpartition('.')[2].startswith('HF'):
            encoder.update(config=None, pretrained=hf_dir(TINY_HF_KIND[encoder.config.model_type]),
                           fusion_layers=None)
        else:
            encoder.update(tiny_openai, fusion_layers=None)
    cfg.merge_from_dict({k: v for k, v in TINY_ETRIS.items()
                         if not k.startswith('model.backbone.text_encoder.')})
    from mmris.registry import MODELS
    tiny = MODELS.build(cfg.model.backbone)
    cfg.merge_from_dict({'model.neck.in_channels': list(tiny.out_channels),
                         'model.neck.text_channels': tiny.text_channels,
                         'model.decode_head.text_channels': tiny.text_channels})
    letterbox_to_64(cfg)
    return cfg


@pytest.fixture
def tiny_pairing_config(tiny_hf_dir):
    """``tiny_pairing_config(name)``: :func:`tiny_bridged_config` of
    ``configs/<name>.py`` with the session's tiny transformers models."""
    return lambda name: tiny_bridged_config(name, tiny_hf_dir)

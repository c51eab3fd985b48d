"""Fixtures shared by the tests: the repository, generated data sets and
tiny configs (the root conftest.py adds the scope, ports and tool runs)."""
import os
import os.path as osp
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory):
    """A small synthetic shapes set (16 train, 4 val images of 32x32)."""
    from mmris.synthetic import generate_synthetic_shapes
    root = tmp_path_factory.mktemp('synthetic_shapes')
    generate_synthetic_shapes(str(root), num_train=16, num_val=4, size=32, seed=0)
    return root


@pytest.fixture(scope='session')
def refcoco_root(tmp_path_factory):
    """A small synthetic referring set in the refer layout (12 images of at
    most 64 px: refcoco/instances.json, refcoco/refs(unc).p, train2014/)."""
    from mmris.synthetic import generate_synthetic_refcoco
    root = tmp_path_factory.mktemp('synthetic_refcoco')
    generate_synthetic_refcoco(str(root), num_images=12, size=64, seed=0)
    return root




# Tiny text tower and Bridger of every Bridger backbone config (no CLIP file).
TINY_BRIDGED = {
    'model.backbone.clip_weights': None,
    'model.backbone.text_encoder.width': 32,
    'model.backbone.text_encoder.layers': 3,
    'model.backbone.text_encoder.heads': 2,
    'model.backbone.text_encoder.embed_dim': 32,
    'model.backbone.bridger.d_model': 16,
    'model.backbone.bridger.interactor.num_heads': 2,
}
# Overrides that shrink the ETRIS configs to a few thousand-wide layers on a
# 64x64 input, keeping every code path (same classes, stages and strides).
TINY_ETRIS = {
    'model.data_preprocessor.size': (64, 64),
    **TINY_BRIDGED,
    'model.neck.channels': 32,
    'model.neck.num_heads': 2,
    'model.decode_head.channels': 16,
    'model.decode_head.decoder.num_layers': 1,
    'model.decode_head.decoder.num_heads': 2,
    'model.decode_head.decoder.ffn_channels': 32,
}
TINY_VISION = {
    'vitb': {'input_size': 64, 'width': 32, 'layers': 3, 'heads': 2, 'output_dim': 32},
    'rn50': {'layers': (1, 1, 1, 1), 'width': 8, 'output_dim': 32, 'heads': 2, 'pretrain_size': 64},
    'rn101': {'layers': (1, 1, 2, 1), 'width': 8, 'output_dim': 32, 'heads': 2, 'pretrain_size': 64},
}


def tiny_etris_config(backbone: str, dataset: str = 'refcoco'):
    """``configs/etris/<backbone>_<dataset>.py`` shrunk by the tiny overrides
    (an mmengine Config; ``backbone`` is vitb, rn50 or rn101)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / 'etris' / f'{backbone}_{dataset}.py'))
    options = dict(TINY_ETRIS)
    options.update({f'model.backbone.vision_encoder.{k}': v for k, v in TINY_VISION[backbone].items()})
    cfg.merge_from_dict(options)
    letterbox_to_64(cfg)
    return cfg


def letterbox_to_64(cfg) -> None:
    """Make every RISLetterbox of ``cfg``'s pipelines produce 64 x 64."""
    pipelines = [cfg.train_pipeline, cfg.test_pipeline,
                 *(cfg[loader].dataset.pipeline for loader in
                   ('train_dataloader', 'val_dataloader', 'test_dataloader'))]
    for pipeline in pipelines:
        for step in pipeline:
            if step['type'] == 'RISLetterbox':
                step['size'] = 64


@pytest.fixture(params=['vitb', 'rn50', 'rn101'])
def tiny_etris_cfg(request):
    """A tiny version of each of the three ETRIS configs."""
    return tiny_etris_config(request.param)


@pytest.fixture(scope='session')
def tiny_config():
    """The function :func:`tiny_etris_config`, for tests that pick a backbone."""
    return tiny_etris_config


@pytest.fixture
def tiny_model_files(tmp_path, tiny_config):
    """The tiny vitb config written to a file and a checkpoint of its randomly
    initialised model: ``(config path, checkpoint path, state dict)``."""
    from mmengine.runner import save_checkpoint

    from mmris.apis import init_model
    cfg = tiny_config('vitb')
    config = tmp_path / 'tiny_vitb.py'
    cfg.dump(str(config))
    state = init_model(cfg).state_dict()
    checkpoint = tmp_path / 'tiny.pth'
    save_checkpoint(state, str(checkpoint))
    return str(config), str(checkpoint), state


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
    """``configs/<name>.py`` (e.g. ``detris/dinov2-b14_clip-text_refcoco``)
    shrunk: each transformers tower becomes the tiny model of the same type
    from ``hf_dir(kind)`` (the :func:`tiny_hf_dir` fixture), each
    OpenAI-layout tower the tiny ViT / text tower of :func:`tiny_etris_config`,
    both with equal stages (words 32 wide, as the tiny neck); inputs are
    64 x 64."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / f'{name}.py'))
    backbone = cfg.model.backbone
    for key, tiny_openai in (('vision_encoder', TINY_VISION['vitb']), ('text_encoder', TINY_CLIP_TEXT)):
        encoder = backbone[key]
        if encoder.type.startswith('HF'):
            encoder.update(config=None, pretrained=hf_dir(TINY_HF_KIND[encoder.config.model_type]),
                           fusion_layers=None)
        else:
            encoder.update(tiny_openai, fusion_layers=None)
    cfg.merge_from_dict({k: v for k, v in TINY_ETRIS.items()
                         if not k.startswith('model.backbone.text_encoder.')})
    letterbox_to_64(cfg)
    return cfg


def write_clip_weights(cfg, path, seed: int = 0) -> str:
    """Write the towers of ``cfg``'s model, randomly initialised with
    ``seed``, to ``path`` as an OpenAI-layout CLIP state dict (``visual.*``
    and the text keys), which ``model.backbone.clip_weights`` can load."""
    import torch

    from mmris.apis import init_model
    torch.manual_seed(seed)
    backbone = init_model(cfg).backbone
    vision = backbone.vision_encoder
    weights = {f'visual.{key}': value for key, value in vision.state_dict().items()
               if not key.startswith(vision.keys_not_in_openai_weights)}
    weights.update(backbone.text_encoder.state_dict())
    torch.save(weights, str(path))
    return str(path)


@pytest.fixture(scope='session')
def etris_config(tmp_path_factory, refcoco_root):
    """What the tool tests train and test: ``configs/etris/vitb_refcoco.py``
    shrunk (:func:`tiny_etris_config`) to read the generated referring set,
    4 training objects (2 iterations of batch 2 per epoch), with seed 0,
    written to a file. Returns its path."""
    cfg = tiny_etris_config('vitb')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(refcoco_root)
        cfg[loader].batch_size = 2
        cfg[loader].num_workers = 1
    cfg.train_dataloader.dataset.indices = 4
    cfg.randomness = dict(seed=0)
    path = tmp_path_factory.mktemp('configs') / 'etris_tiny_vitb.py'
    cfg.dump(str(path))
    return str(path)


def schedule_arguments(max_epochs: int, schedule_end: int = None) -> list:
    """``--cfg-options`` for a run of :func:`etris_config` of ``max_epochs``
    epochs of a schedule of ``schedule_end`` epochs (default: the same)
    whose learning rate drops x0.1 after epoch 1, logging every iteration."""
    return ['--cfg-options', f'train_cfg.max_epochs={max_epochs}',
            f'param_scheduler.0.end={schedule_end or max_epochs}',
            'param_scheduler.0.milestones=[1]', 'default_hooks.logger.interval=1']


@pytest.fixture
def schedule_options():
    """The function :func:`schedule_arguments`."""
    return schedule_arguments


@pytest.fixture(scope='session')
def clip_weights_writer():
    """The function :func:`write_clip_weights`."""
    return write_clip_weights


@pytest.fixture(scope='session')
def trained_etris(tmp_path_factory, etris_config, run_tool):
    """A work dir where ``tools/train.py`` trained :func:`etris_config` for
    epoch 1 of a 2-epoch schedule (``epoch_1.pth``); tests copy it rather
    than write to it."""
    work_dir = tmp_path_factory.mktemp('trained_etris')
    result = run_tool('train.py', etris_config, '--work-dir', work_dir,
                      *schedule_arguments(max_epochs=1, schedule_end=2))
    assert result.returncode == 0, result.stdout[-3000:]
    return work_dir


def shrink_pipelines(cfg, size: int = 64) -> None:
    """Make every resize, crop and pad step of ``cfg``'s pipelines work at
    about ``size`` pixels (in place)."""
    pipelines = [cfg[key] for key in ('train_pipeline', 'test_pipeline') if key in cfg]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        stack = [cfg[loader].dataset]
        while stack:
            dataset = stack.pop()
            stack += dataset.get('datasets', [])
            if 'pipeline' in dataset:
                pipelines.append(dataset.pipeline)
    for pipeline in pipelines:
        for step in pipeline:
            if 'scale' in step:
                step['scale'] = (2 * size, size)
            if 'crop_size' in step:
                step['crop_size'] = (size, size)
            if step['type'] == 'Pad':
                step['size'] = (size, size)


def tiny_vision_options(name: str) -> dict:
    """Overrides of the tiny vision tower for a config named in mmdet's or
    mmseg's convention (``...-rn50_...`` or ``...-vitb16_...``)."""
    backbone = 'rn50' if '-rn50_' in name else 'vitb'
    return {f'model.backbone.vision_encoder.{k}': v for k, v in TINY_VISION[backbone].items()}


def make_tiny_seg_config(name: str):
    """``configs/etris_seg/<name>.py`` shrunk by the tiny overrides, with
    pipelines and sliding windows at 64 pixels."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / 'etris_seg' / f'{name}.py'))
    options = dict(TINY_ETRIS, **tiny_vision_options(name))
    options.update({'model.decode_head.decoder.num_layers': 1, 'model.test_cfg.crop_size': (64, 64),
                    'model.test_cfg.stride': (42, 42)})
    cfg.merge_from_dict(options)
    shrink_pipelines(cfg)
    return cfg


def write_seg_files(dataset_cfg, root, num_images: int = 2, seed: int = 0) -> None:
    """Point the dataset ``dataset_cfg`` (and any it concatenates) at
    ``root`` (in place) and write ``num_images`` random images and label maps
    where it looks for them: its class's file suffixes, ``data_prefix``
    folders and ``ann_file`` lists."""
    import inspect

    import cv2
    import numpy as np
    from mmseg.registry import DATASETS
    rng = np.random.default_rng(seed)
    stack = [dataset_cfg]
    while stack:
        cfg = stack.pop()
        if 'datasets' in cfg:
            stack += cfg['datasets']
            continue
        cfg['data_root'] = str(root)
        dataset_class = DATASETS.get(cfg['type'])
        defaults = {name: parameter.default for name, parameter in
                    inspect.signature(dataset_class.__init__).parameters.items()}

        def option(key, cfg=cfg, defaults=defaults):
            return cfg.get(key, defaults.get(key))

        classes = cfg.get('metainfo', {}).get('classes') or dataset_class.METAINFO['classes']
        low = 1 if option('reduce_zero_label') else 0  # label 0 is 'ignore' there
        names = [f'sample{i}' for i in range(num_images)]
        for name in names:
            image = osp.join(root, cfg['data_prefix']['img_path'], name + option('img_suffix'))
            label = osp.join(root, cfg['data_prefix']['seg_map_path'],
                             name + option('seg_map_suffix'))
            for path in (image, label):
                os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(image, rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
            cv2.imwrite(label, rng.integers(low, len(classes) + low, (48, 64), dtype=np.uint8))
        if cfg.get('ann_file'):
            ann_file = osp.join(root, cfg['ann_file'])
            os.makedirs(osp.dirname(ann_file), exist_ok=True)
            with open(ann_file, 'w') as f:
                f.write('\n'.join(names) + '\n')


@pytest.fixture
def tiny_seg_config():
    """The function :func:`make_tiny_seg_config` (a config name -> Config)."""
    return make_tiny_seg_config


@pytest.fixture
def write_seg_dataset():
    """The function :func:`write_seg_files` (dataset config, root)."""
    return write_seg_files


# Overrides that shrink the detection configs (configs/etris_det,
# configs/etris_refdet) to tiny towers and heads, per detector part.
TINY_DET_PARTS = {
    'RetinaNet': {'model.neck.neck.out_channels': 16},
    'FCOS': {'model.neck.out_channels': 16, 'model.bbox_head.norm_cfg.num_groups': 4},
    'mmris.ReferringDetector': {
        'model.neck.0.channels': 32, 'model.neck.0.num_heads': 2,
        'model.neck.1.decoder.num_layers': 1, 'model.neck.1.decoder.num_heads': 2,
        'model.neck.1.decoder.ffn_channels': 32, 'model.neck.2.out_channels': 16,
        'model.bbox_head.norm_cfg.num_groups': 4},
    'MaskRCNN': {
        'model.neck.neck.out_channels': 16,
        'model.rpn_head.in_channels': 16,
        'model.rpn_head.feat_channels': 16,
        'model.roi_head.bbox_roi_extractor.out_channels': 16,
        'model.roi_head.bbox_head.fc_out_channels': 32,
        'model.roi_head.bbox_head.embed_channels': 8,
        'model.roi_head.mask_roi_extractor.out_channels': 16,
        'model.roi_head.mask_head.in_channels': 16,
        'model.roi_head.mask_head.conv_out_channels': 16,
        'model.roi_head.mask_head.num_convs': 1,
        'model.train_cfg.rcnn.sampler.num': 32,
    },
}
TINY_DENSE_HEAD = {'model.bbox_head.feat_channels': 16, 'model.bbox_head.stacked_convs': 1,
                   'model.bbox_head.embed_channels': 8}


def make_tiny_det_config(path: str):
    """The detection config at ``path`` (relative to the repository)
    shrunk to tiny towers and heads, with pipelines at 64 pixels."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / path))
    options = dict(TINY_BRIDGED, **TINY_DET_PARTS[cfg.model.type], **tiny_vision_options(path))
    if 'bbox_head' in cfg.model:
        options.update(TINY_DENSE_HEAD)
    cfg.merge_from_dict(options)
    shrink_pipelines(cfg)
    return cfg


def write_coco_files(dataset_cfg, root, classes, num_images: int = 2, seed: int = 0) -> None:
    """Point the COCO-format dataset ``dataset_cfg`` at ``root`` (in place)
    and write generated images of shapes there, annotated in the COCO format
    with the categories ``classes`` (ids 1..K; the shapes are the first
    three)."""
    import json

    from mmris.synthetic import generate_synthetic_coco
    generate_synthetic_coco(str(root), num_train=num_images, num_val=num_images, size=64,
                            seed=seed)
    categories = [dict(id=index + 1, name=name) for index, name in enumerate(classes)]
    for split in ('train', 'val'):
        ann_file = root / 'annotations' / f'instances_{split}.json'
        instances = json.loads(ann_file.read_text())
        ann_file.write_text(json.dumps(dict(instances, categories=categories)))
    split = 'val' if dataset_cfg.get('test_mode') else 'train'
    dataset_cfg.update(data_root=str(root), ann_file=f'annotations/instances_{split}.json',
                       data_prefix=dict(img=f'{split}/'))


@pytest.fixture
def tiny_det_config():
    """The function :func:`make_tiny_det_config` (a config path -> Config)."""
    return make_tiny_det_config


@pytest.fixture
def write_coco_dataset():
    """The function :func:`write_coco_files` (dataset config, root, classes)."""
    return write_coco_files


@pytest.fixture
def tiny_pairing_config(tiny_hf_dir):
    """``tiny_pairing_config(name)``: :func:`tiny_bridged_config` of
    ``configs/<name>.py`` with the session's tiny transformers models."""
    return lambda name: tiny_bridged_config(name, tiny_hf_dir)

"""Parity of mmris' ETRIS with the reference ETRIS (kkakkkka/ETRIS).

    python tools/analysis_tools/reference_parity.py fixture --reference ETRIS_CHECKOUT
                                                    [--out NPZ] [--backbones B ...]
    python tools/analysis_tools/reference_parity.py full --reference ETRIS_CHECKOUT
                                                    [--backbones B ...] [--work-dir DIR]
                                                    [--json OUT]

ETRIS_CHECKOUT is a local checkout of github.com/kkakkkka/ETRIS; running its
model needs ``loguru``, ``ftfy`` and ``regex`` (not mmris requirements). Its
``model`` and ``utils`` packages are imported from that path only inside
:func:`reference_modules`, which leaves ``sys.path`` and ``sys.modules`` as
they were. B is one of ``vitb``, ``rn50``, ``rn101`` (all three by default).

``fixture`` writes (into, keeping the entries of other backbones)
``tests/data/etris_reference_outputs.npz``, the golden
numbers of tests/test_models/test_segmentors/test_etris_reference_parity.py:
the reference's own classes (CLIP towers, Bridger, HA, GA, Projector) built
at the tiny sizes of :data:`TINY_REFERENCE`, every weight set by
:func:`fill_weights` under its mmris name (the converter's
:func:`map_key`), run on :func:`golden_inputs`. Per backbone B:

- ``B_token_ids`` (2, 17): the reference tokenizer's ids of :data:`TEXTS`;
- ``B_logits`` (2, 1, 16, 16): stride-4 mask logits in eval mode;
- ``B_loss`` (): BCE of one training-mode forward pass (BN on batch
  statistics, dropout off) against :func:`golden_inputs`' masks.

``full`` measures the full-size models of configs/etris/B_refcoco.py
against the reference's ``config/refcoco/bridge_*.yaml``: OpenAI-layout
CLIP weights drawn by :func:`fill_weights` are written as an OpenAI-style
TorchScript archive; the reference builds itself from it (its ``ETRIS``
class) and the rest of its weights are drawn the same way; its state dict,
saved as its train.py does, goes through tools/model_converters/
etris2mmris.py (full and ``--parameter-efficient``) into mmris models built
from the config through ``mmris.apis.init_model``. On one 480 x 640 image
it reports mask agreement (each side's own pre- and post-processing),
stride-4 logits max abs diff (same input tensor), the parameter-efficient
checkpoint's mask agreement, and one training-mode forward and backward
pass (dropout off): both losses and the largest gradient difference.

The training step is compared with mmris' ResNet in the reference's memory
format (contiguous; the RN configs run it channels-last for speed), and
the loss of mmris' own format is reported beside it
(``loss_channels_last``). In training mode every frozen ResNet BatchNorm
normalises one image's maps by their own statistics, which amplifies the
rounding difference between channels-last and contiguous convolutions to
about 1e-3 of the loss: the reference moved to channels-last gives mmris'
channels-last loss, and mmris moved to contiguous gives the reference's.
"""
import argparse
import contextlib
import importlib
import importlib.util
import json
import os.path as osp
import subprocess
import sys
import tempfile
import time
import types
import zlib
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np
import torch

from mmris.models.encoders.clip_weights import save_clip_state_dict
from mmris.utils import UsageError, require_writable_file, run_cli

REPO = Path(__file__).resolve().parents[2]
CONVERTER = REPO / 'tools' / 'model_converters' / 'etris2mmris.py'
DEFAULT_FIXTURE = REPO / 'tests' / 'data' / 'etris_reference_outputs.npz'
BACKBONES = ('vitb', 'rn50', 'rn101')
TEXTS = ['the man on the left in a red shirt', 'smallest blue umbrella']
#: Text length of the RefCOCO configs (the reference's ``word_len``).
WORD_LEN = 17

#: Tiny reference sizes, the same network as tests/conftest.py's tiny
#: configs with 12 text blocks (the reference's Bridgers fuse after text
#: blocks 4, 8 and 12) and, for the ViT, 12 vision blocks.
_TINY_TEXT = dict(width=32, layers=12, heads=2, embed_dim=32)
_TINY_HEADS = dict(bridger_dim=16, bridger_heads=2, neck_channels=32, neck_heads=2,
                   head_channels=16, decoder_layers=1, decoder_heads=2, decoder_ffn=32)
TINY_REFERENCE = {
    'vitb': dict(vision=dict(kind='vit', input_size=64, patch_size=16, width=32, layers=12,
                             heads=2, output_dim=32),
                 text=_TINY_TEXT, **_TINY_HEADS),
    'rn50': dict(vision=dict(kind='resnet', input_size=64, width=8, layers=(1, 1, 1, 1),
                             heads=2, output_dim=32),
                 text=_TINY_TEXT, **_TINY_HEADS),
    'rn101': dict(vision=dict(kind='resnet', input_size=64, width=8, layers=(1, 1, 2, 1),
                              heads=2, output_dim=32),
                  text=_TINY_TEXT, **_TINY_HEADS),
}
#: OpenAI's released CLIP models (the arguments of the reference's ``CLIP``)
#: and the file name the reference config expects.
OPENAI_CLIP = {
    'vitb': dict(file='ViT-B-16.pt', embed_dim=512, vision_layers=12, vision_width=768,
                 vision_patch_size=16),
    'rn50': dict(file='RN50.pt', embed_dim=1024, vision_layers=(3, 4, 6, 3), vision_width=64,
                 vision_patch_size=None),
    'rn101': dict(file='RN101.pt', embed_dim=512, vision_layers=(3, 4, 23, 3), vision_width=64,
                  vision_patch_size=None),
}
OPENAI_SHARED = dict(image_resolution=224, context_length=77, vocab_size=49408,
                   transformer_width=512, transformer_heads=8, transformer_layers=12)
REFERENCE_CONFIGS = {'vitb': 'bridge_v16.yaml', 'rn50': 'bridge_r50.yaml',
                     'rn101': 'bridge_r101.yaml'}
#: Modules that the reference's utils/dataset.py imports for its LMDB reader,
#: which parity never calls; stood in for by empty modules when missing.
REFERENCE_UNUSED_IMPORTS = ('lmdb', 'pyarrow')
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073])
MASK_THRESHOLD = 0.35


# Inputs and weights shared with the parity test ------------------------------
def fill_weights(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Deterministic weights for a state dict, each drawn from a generator
    seeded by the CRC-32 of its name: norm scales 1 + N(0, 0.1), biases
    N(0, 0.02), BN running means N(0, 0.1) and variances 0.5 + U(0, 1),
    matrices and kernels N(0, 1 / fan_in), other vectors N(0, 0.1)."""
    filled = {}
    for name, value in state_dict.items():
        if name.endswith('num_batches_tracked'):
            filled[name] = value
            continue
        generator = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        noise = torch.randn(value.shape, generator=generator, dtype=torch.float64)
        if name.endswith('running_var'):
            values = 0.5 + torch.rand(value.shape, generator=generator, dtype=torch.float64)
        elif name.endswith('running_mean'):
            values = 0.1 * noise
        elif value.dim() == 1 and name.endswith('weight'):
            values = 1 + 0.1 * noise
        elif value.dim() == 1 and name.endswith('bias'):
            values = 0.02 * noise
        elif value.dim() >= 2:
            values = noise / np.sqrt(np.prod(value.shape[1:]))
        else:
            values = 0.1 * noise
        filled[name] = values.to(value.dtype)
    return filled


def golden_inputs():
    """Normalised images (2, 3, 64, 64) and binary masks (2, 1, 64, 64)."""
    generator = torch.Generator().manual_seed(12)
    images = torch.randn(2, 3, 64, 64, generator=generator)
    masks = torch.zeros(2, 1, 64, 64)
    masks[0, :, 8:40, 16:56] = 1
    masks[1, :, 30:60, 4:20] = 1
    return images, masks


def without_dropout(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` with every dropout probability set to 0 (``nn.Dropout`` and
    any attention module with a float ``dropout`` attribute)."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
        elif isinstance(getattr(module, 'dropout', None), float):
            module.dropout = 0.0
    return model


# The reference checkout -------------------------------------------------------
def _is_reference_module(name: str) -> bool:
    return name.split('.')[0] in ('model', 'utils')


@contextlib.contextmanager
def reference_modules(checkout: str) -> Iterator[types.SimpleNamespace]:
    """The reference's modules ``clip``, ``bridger``, ``layers``,
    ``segmenter`` (from ``model/``) and ``dataset`` (``utils/dataset.py``),
    imported from ``checkout``. On exit ``sys.path`` and ``sys.modules`` are
    as before (modules named ``model``/``utils`` imported earlier are put
    back).

    Raises:
        UsageError: ``checkout`` is not a reference checkout, or its
            dependencies are missing.
    """
    root = str(Path(checkout).resolve())
    if not osp.isfile(osp.join(root, 'model', 'segmenter.py')):
        raise UsageError(f'--reference {checkout!r} is not a checkout of the reference ETRIS '
                         f'(no model/segmenter.py); clone github.com/kkakkkka/ETRIS there')
    hidden = {name: sys.modules.pop(name) for name in list(sys.modules)
              if _is_reference_module(name)}
    stand_ins = [name for name in REFERENCE_UNUSED_IMPORTS
                 if name not in sys.modules and importlib.util.find_spec(name) is None]
    sys.modules.update({name: types.ModuleType(name) for name in stand_ins})
    sys.path.insert(0, root)
    try:
        try:
            modules = types.SimpleNamespace(
                **{name: importlib.import_module(f'model.{name}')
                   for name in ('clip', 'bridger', 'layers', 'segmenter')},
                dataset=importlib.import_module('utils.dataset'))
        except ImportError as error:
            raise UsageError(f'--reference {checkout!r}: cannot import its model ({error}); it '
                             f'needs loguru, ftfy and regex installed') from error
        yield modules
    finally:
        sys.path.remove(root)
        for name in [name for name in sys.modules if _is_reference_module(name)] + stand_ins:
            del sys.modules[name]
        sys.modules.update(hidden)


def reference_token_ids(ref: types.SimpleNamespace, texts: List[str]) -> torch.Tensor:
    """The reference's token ids (B, WORD_LEN), truncated as its datasets do."""
    return ref.dataset.tokenize(texts, WORD_LEN, True)


def to_mmris_names(ref_state: Dict[str, torch.Tensor]) -> Dict[str, str]:
    """Reference key -> mmris key (tools/model_converters/etris2mmris.py), for
    the keys the converter keeps."""
    converter = _load_tool(CONVERTER, 'etris2mmris')
    names = {key: converter.map_key(key) for key in ref_state}
    return {key: name for key, name in names.items() if name is not None}


def _load_tool(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assemble(ref: types.SimpleNamespace, backbone: torch.nn.Module, bridger: torch.nn.Module,
              neck: torch.nn.Module, decoder: torch.nn.Module, proj: torch.nn.Module
              ) -> torch.nn.Module:
    """A reference ``ETRIS`` holding the given parts; its constructor takes
    sizes from a CLIP archive and full-size defaults, so tiny parts are put
    in place of what it builds."""
    model = ref.segmenter.ETRIS.__new__(ref.segmenter.ETRIS)
    torch.nn.Module.__init__(model)
    model.backbone, model.bridger, model.neck, model.decoder, model.proj = (
        backbone, bridger, neck, decoder, proj)
    return model


def _tiny_clip(ref: types.SimpleNamespace, sizes: dict) -> torch.nn.Module:
    """The reference's ``CLIP`` with tiny towers (its constructor derives
    head counts from widths as 64-wide heads, so the towers are built
    directly with the tiny head counts)."""
    vision, text = sizes['vision'], sizes['text']
    clip = ref.clip.CLIP.__new__(ref.clip.CLIP)
    torch.nn.Module.__init__(clip)
    if vision['kind'] == 'vit':
        clip.visual = ref.clip.VisionTransformer(
            input_resolution=vision['input_size'], patch_size=vision['patch_size'],
            width=vision['width'], layers=vision['layers'], heads=vision['heads'],
            output_dim=vision['output_dim'])
    else:
        clip.visual = ref.clip.ModifiedResNet(
            layers=vision['layers'], output_dim=vision['output_dim'], heads=vision['heads'],
            input_resolution=vision['input_size'], width=vision['width'])
    clip.context_length = OPENAI_SHARED['context_length']
    clip.vocab_size = OPENAI_SHARED['vocab_size']
    clip.transformer = ref.clip.Transformer(
        width=text['width'], layers=text['layers'], heads=text['heads'],
        attn_mask=clip.build_attention_mask(WORD_LEN))
    clip.token_embedding = torch.nn.Embedding(clip.vocab_size, text['width'])
    clip.positional_embedding = torch.nn.Parameter(torch.empty(clip.context_length,
                                                               text['width']))
    clip.ln_final = ref.clip.LayerNorm(text['width'])
    clip.text_projection = torch.nn.Parameter(torch.empty(text['width'], text['embed_dim']))
    clip.logit_scale = torch.nn.Parameter(torch.ones([]))
    return clip


def tiny_reference(ref: types.SimpleNamespace, backbone: str) -> torch.nn.Module:
    """The reference ETRIS of ``backbone`` at :data:`TINY_REFERENCE` sizes,
    every weight :func:`fill_weights`'d under its mmris name."""
    sizes = TINY_REFERENCE[backbone]
    vision, text = sizes['vision'], sizes['text']
    clip = _tiny_clip(ref, sizes)
    if vision['kind'] == 'vit':
        vision_channels = [vision['width']] * 3
        neck_in = [vision['width'], vision['width'], vision['output_dim']]
        strides = [1, 1, 1]
        bridger = ref.bridger.Bridger_ViT(d_img=vision_channels, d_txt=text['width'],
                                          d_model=sizes['bridger_dim'],
                                          nhead=sizes['bridger_heads'])
    else:
        vision_channels = [vision['width'] * 4 * 2 ** i for i in (1, 2, 3)]
        neck_in = [*vision_channels[:2], vision['output_dim']]
        strides = [2, 1, 2]
        bridger = ref.bridger.Bridger_RN(d_img=vision_channels, d_txt=text['width'],
                                         d_model=sizes['bridger_dim'],
                                         nhead=sizes['bridger_heads'])
    channels = sizes['neck_channels']
    neck = ref.layers.HA(in_channels=neck_in, out_channels=[channels // 2, channels, channels * 2],
                         stride=strides, d_model=channels, nhead=sizes['neck_heads'])
    decoder = ref.layers.GA(num_layers=sizes['decoder_layers'], d_model=channels,
                            nhead=sizes['decoder_heads'], dim_ffn=sizes['decoder_ffn'],
                            dropout=0.1, return_intermediate=False)
    proj = ref.layers.Projector(text['embed_dim'], sizes['head_channels'], 3)
    model = _assemble(ref, clip, bridger, neck, decoder, proj)
    state = model.state_dict()
    names = to_mmris_names(state)
    filled = fill_weights({names[key]: state[key] for key in names})
    model.load_state_dict({key: filled[names[key]] if key in names else value
                           for key, value in state.items()})
    return model.float()


def reference_outputs(ref: types.SimpleNamespace, backbone: str) -> Dict[str, np.ndarray]:
    """The fixture entries of ``backbone`` (see the module doc)."""
    model = tiny_reference(ref, backbone)
    images, masks = golden_inputs()
    token_ids = reference_token_ids(ref, TEXTS)
    with torch.no_grad():
        logits = model.eval()(images, token_ids)
        _, _, loss = without_dropout(model).train()(images, token_ids, masks)
    return {f'{backbone}_token_ids': token_ids.numpy(),
            f'{backbone}_logits': logits.numpy(),
            f'{backbone}_loss': np.float64(loss.item())}


# Full-size parity -------------------------------------------------------------
def openai_clip_state(ref: types.SimpleNamespace, backbone: str) -> Dict[str, torch.Tensor]:
    """:func:`fill_weights` over the state dict of OpenAI's CLIP ``backbone``
    (the reference's ``CLIP`` at OpenAI's sizes, without the attention pool's
    ``connect`` branch that OpenAI's files lack), in fp16 as OpenAI ships."""
    spec = {key: value for key, value in OPENAI_CLIP[backbone].items() if key != 'file'}
    clip = ref.clip.CLIP(**spec, **OPENAI_SHARED, txt_length=WORD_LEN)
    state = {key: value for key, value in clip.state_dict().items()
             if not key.startswith('visual.attnpool.connect.')}
    return {key: value.half() if value.is_floating_point() else value
            for key, value in fill_weights(state).items()}


def reference_config(checkout: str, backbone: str) -> Dict:
    """The merged sections of the reference's ``config/refcoco`` yaml."""
    import yaml
    path = Path(checkout) / 'config' / 'refcoco' / REFERENCE_CONFIGS[backbone]
    with open(path) as f:
        sections = yaml.safe_load(f)
    merged = {}
    for section in sections.values():
        merged.update(section)
    return merged


def full_reference(ref: types.SimpleNamespace, checkout: str, backbone: str,
                   archive: Path) -> torch.nn.Module:
    """The reference ETRIS built by its own constructor from ``archive``;
    the weights the archive does not hold are :func:`fill_weights`'d under
    their reference names."""
    args = reference_config(checkout, backbone)
    args.update(clip_pretrain=str(archive))
    model = ref.segmenter.ETRIS(types.SimpleNamespace(**args))
    archived = {f'backbone.{key}' for key in torch.jit.load(str(archive)).state_dict()}
    state = model.state_dict()
    drawn = fill_weights({key: value for key, value in state.items() if key not in archived})
    model.load_state_dict({**state, **drawn})
    return model


@torch.no_grad()
def centre_logits(reference: torch.nn.Module, images: torch.Tensor,
                  token_ids: torch.Tensor) -> None:
    """Shift the reference's mask logit offset (the last bias of its
    projector's text Linear, which adds to every logit) so that the median
    logit on ``images`` is 0: random weights otherwise give an image that is
    nearly all foreground or all background, where mask agreement says
    little. Both models get the shifted weight through the converter."""
    median = reference.eval()(images, token_ids).median()
    reference.proj.txt.bias[-1] -= median


def test_image(seed: int = 0):
    """A 480 x 640 BGR uint8 image (smooth colour fields, shapes and noise)
    and a (480, 640) mask in [0, 1] of one of its shapes."""
    import cv2
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:480, 0:640] / 640.0
    image = np.stack([120 + 80 * np.sin(6 * xs + c) * np.cos(4 * ys - c) for c in (0, 1, 2)], -1)
    cv2.ellipse(image, (220, 260), (120, 80), 15, 0, 360, (40, 40, 200), -1)
    cv2.rectangle(image, (400, 60), (600, 300), (200, 160, 30), -1)
    image = np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((480, 640), np.uint8)
    cv2.ellipse(mask, (220, 260), (120, 80), 15, 0, 360, 255, -1)
    return image, mask / 255.0


def reference_inputs(ref: types.SimpleNamespace, image_bgr: np.ndarray, mask: np.ndarray,
                     input_size: int):
    """The reference's test-time letterbox of ``image_bgr`` and its
    train-time letterbox of ``mask`` (utils/dataset.py ``RefDataset``):
    image (1, 3, S, S), mask (1, 1, S, S), inverse affine matrix."""
    import cv2
    dataset = types.SimpleNamespace(
        input_size=(input_size, input_size),
        mean=torch.tensor([0.48145466, 0.4578275, 0.40821073]).reshape(3, 1, 1),
        std=torch.tensor([0.26862954, 0.26130258, 0.27577711]).reshape(3, 1, 1))
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    matrix, inverse = ref.dataset.RefDataset.getTransformMat(dataset, rgb.shape[:2], True)
    warped = cv2.warpAffine(rgb, matrix, dataset.input_size, flags=cv2.INTER_CUBIC,
                            borderValue=(CLIP_MEAN * 255).tolist())
    warped_mask = cv2.warpAffine((mask * 255).astype(np.uint8), matrix, dataset.input_size,
                                 flags=cv2.INTER_LINEAR, borderValue=0.) / 255.
    image, target = ref.dataset.RefDataset.convert(dataset, warped, warped_mask)
    return image[None], target[None, None], inverse


def reference_mask(logits: torch.Tensor, inverse: np.ndarray, input_size: int,
                   image_shape) -> np.ndarray:
    """The reference test protocol (engine.inference): sigmoid, bicubic
    upsampling to the input size, inverse warp to the image, threshold."""
    import cv2
    probs = torch.nn.functional.interpolate(logits.sigmoid(), size=(input_size, input_size),
                                            mode='bicubic', align_corners=True)
    height, width = image_shape[:2]
    probs = cv2.warpAffine(probs[0, 0].numpy(), inverse, (width, height),
                           flags=cv2.INTER_CUBIC, borderValue=0.)
    return probs > MASK_THRESHOLD


def convert(reference_checkpoint: Path, out: Path, config: Path, archive: Path,
            parameter_efficient: bool) -> None:
    """tools/model_converters/etris2mmris.py, checked against ``config``."""
    command = [sys.executable, str(CONVERTER), str(reference_checkpoint), str(out),
               '--config', str(config),
               '--cfg-options', f'model.backbone.clip_weights={archive}']
    if parameter_efficient:
        command.append('--parameter-efficient')
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} failed:\n{done.stdout}{done.stderr}')


def training_step(reference: torch.nn.Module, ours: torch.nn.Module, images: torch.Tensor,
                  token_ids: torch.Tensor, target: torch.Tensor, text: str) -> Dict:
    """One training-mode forward and backward pass on each side, dropout
    off: both losses, and the gradients of the trainable parameters
    compared under the converter's names: the largest absolute difference
    and the largest gradient. ``target`` (1, 1, H, W) in [0, 1]."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    sample = SegDataSample(metainfo=dict(text=text))
    sample.gt_sem_seg = PixelData(data=target[0])
    losses = {'reference': without_dropout(reference).train()(images, token_ids, target)[2],
              'mmris': without_dropout(ours).train()(images, [sample], mode='loss')['loss_mask']}
    for loss in losses.values():
        loss.backward()
    names = to_mmris_names(dict(reference.named_parameters()))
    ours_by_name = dict(ours.named_parameters())
    pairs = [(param.grad, ours_by_name[names[key]].grad)
             for key, param in reference.named_parameters() if param.requires_grad and key in names]
    if any(ours_grad is None for _, ours_grad in pairs):
        raise RuntimeError('a parameter trainable in the reference has no gradient in mmris')
    return {'loss': {name: loss.item() for name, loss in losses.items()},
            'grad_max_abs_diff': max(float((a - b).abs().max()) for a, b in pairs),
            'grad_max_abs': max(float(a.abs().max()) for a, _ in pairs)}


def channels_last_modules(model: torch.nn.Module) -> List[torch.nn.Module]:
    """``model``'s encoders that run channels-last (``channels_last`` set)."""
    return [module for module in model.modules() if getattr(module, 'channels_last', False)]


def in_contiguous_format(model: torch.nn.Module) -> bool:
    """Run ``model``'s channels-last encoders in the contiguous format, as
    the reference does; returns whether any was channels-last."""
    modules = channels_last_modules(model)
    for module in modules:
        module.channels_last = False
    model.to(memory_format=torch.contiguous_format)
    return bool(modules)


def build_pair(ref: types.SimpleNamespace, checkout: str, backbone: str, work_dir: Path,
               images: torch.Tensor, token_ids: torch.Tensor) -> Dict[str, torch.nn.Module]:
    """The full-size reference of ``backbone`` and the mmris models of
    configs/etris/``backbone``_refcoco.py converted from it: ``reference``,
    ``full`` and ``parameter_efficient`` (from the converter's full and
    ``--parameter-efficient`` checkpoints, frozen weights restored from the
    archive)."""
    from mmris.apis import init_model
    config = REPO / 'configs' / 'etris' / f'{backbone}_refcoco.py'
    archive = work_dir / OPENAI_CLIP[backbone]['file']
    if ('RN' in str(archive)) != backbone.startswith('rn'):
        raise UsageError(f'the archive path {str(archive)!r} has "RN" in a folder name, which '
                         f'the reference reads as a ResNet; pick another --work-dir')
    save_clip_state_dict(openai_clip_state(ref, backbone), str(archive))
    reference = full_reference(ref, checkout, backbone, archive)
    centre_logits(reference, images, token_ids)
    reference_checkpoint = work_dir / f'reference_{backbone}.pth'
    torch.save({'state_dict': {f'module.{key}': value
                               for key, value in reference.state_dict().items()}},
               reference_checkpoint)
    models = {'reference': reference}
    for kind, parameter_efficient in (('full', False), ('parameter_efficient', True)):
        checkpoint = work_dir / f'mmris_{backbone}_{kind}.pth'
        convert(reference_checkpoint, checkpoint, config, archive, parameter_efficient)
        models[kind] = init_model(config, str(checkpoint),
                                  cfg_options={'model.backbone.clip_weights': str(archive)})
    return models


def full_parity(ref: types.SimpleNamespace, checkout: str, backbone: str, work_dir: Path
                ) -> Dict:
    """The full-size figures of ``backbone`` (see the module doc)."""
    from mmseg.structures import SegDataSample

    from mmris.apis import inference_model
    started = time.perf_counter()
    text = TEXTS[0]
    image, mask = test_image()
    input_size = reference_config(checkout, backbone)['input_size']
    images, target, inverse = reference_inputs(ref, image, mask, input_size)
    token_ids = reference_token_ids(ref, [text])
    models = build_pair(ref, checkout, backbone, work_dir, images, token_ids)
    reference, ours = models['reference'], models['full']
    with torch.no_grad():
        reference_logits = reference.eval()(images, token_ids)
        our_logits = ours(images, [SegDataSample(metainfo=dict(text=text))], mode='tensor')
    expected = reference_mask(reference_logits, inverse, input_size, image.shape)
    masks = {kind: model_mask(inference_model(models[kind], image, text))
             for kind in ('full', 'parameter_efficient')}
    trainable = {name: sum(p.numel() for p in model.parameters() if p.requires_grad)
                 for name, model in (('reference', reference), ('mmris', ours))}
    own_format = {}
    if channels_last_modules(ours):
        own_format = {'loss_channels_last': training_step(
            reference, ours, images, token_ids, target, text)['loss']['mmris']}
        reference.zero_grad()
        ours.zero_grad()
        in_contiguous_format(ours)
    step = training_step(reference, ours, images, token_ids, target, text)
    return {
        'backbone': backbone,
        'config': f'configs/etris/{backbone}_refcoco.py',
        'reference_config': f'config/refcoco/{REFERENCE_CONFIGS[backbone]}',
        'token_ids_equal': bool(torch.equal(ours.backbone.tokenize([text]), token_ids)),
        'foreground': float(expected.mean()),
        'mask_agreement': float((masks['full'] == expected).mean()),
        'logits_max_abs_diff': float((our_logits - reference_logits).abs().max()),
        'logits_max_abs': float(reference_logits.abs().max()),
        'pet_mask_agreement': float((masks['parameter_efficient'] == expected).mean()),
        'pet_equals_full': bool((masks['parameter_efficient'] == masks['full']).all()),
        'trainable_parameters': trainable,
        **step,
        **own_format,
        'seconds': time.perf_counter() - started,
    }


def model_mask(result) -> np.ndarray:
    """The (H, W) boolean mask of an ``inference_model`` result."""
    return result.pred_sem_seg.data[0].cpu().numpy().astype(bool)


def format_table(rows: List[Dict]) -> str:
    """The figures of :func:`full_parity` as a markdown table."""
    header = ['backbone', 'mask agreement', 'logits max abs diff (max abs logit)',
              'loss reference / mmris', 'grads max abs diff (max abs grad)',
              'PET mask agreement', 'foreground', 'mmris loss, channels-last']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        cells = [row['backbone'], f'{100 * row["mask_agreement"]:.4f}%',
                 f'{row["logits_max_abs_diff"]:.2e} ({row["logits_max_abs"]:.1f})',
                 f'{row["loss"]["reference"]:.6f} / {row["loss"]["mmris"]:.6f}',
                 f'{row["grad_max_abs_diff"]:.2e} ({row["grad_max_abs"]:.2e})',
                 f'{100 * row["pet_mask_agreement"]:.4f}%', f'{100 * row["foreground"]:.1f}%',
                 f'{row["loss_channels_last"]:.6f}' if 'loss_channels_last' in row else '-']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Parity of mmris ETRIS with the reference ETRIS (kkakkkka/ETRIS).')
    modes = parser.add_subparsers(dest='mode', required=True)
    fixture = modes.add_parser('fixture', help='write the golden tiny-model outputs of the '
                               'parity test')
    full = modes.add_parser('full', help='compare the full-size models on one image')
    for mode in (fixture, full):
        mode.add_argument('--reference', required=True, metavar='ETRIS_CHECKOUT',
                          help='local checkout of github.com/kkakkkka/ETRIS')
        mode.add_argument('--backbones', nargs='+', choices=BACKBONES, default=list(BACKBONES))
    fixture.add_argument('--out', default=str(DEFAULT_FIXTURE),
                         help=f'npz file to write (default {DEFAULT_FIXTURE.relative_to(REPO)})')
    full.add_argument('--work-dir', help='folder for the archives and checkpoints (a '
                      'temporary folder, removed afterwards, by default)')
    full.add_argument('--json', help='also write the figures to this JSON file')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    torch.manual_seed(0)
    if args.mode == 'fixture':
        require_writable_file(args.out, '--out')
        with reference_modules(args.reference) as ref:
            outputs = {}
            for backbone in args.backbones:
                outputs.update(reference_outputs(ref, backbone))
        kept = {}
        if osp.isfile(args.out):
            kept = {key: value for key, value in np.load(args.out).items() if key not in outputs}
        np.savez(args.out, **kept, **outputs)
        print(f'wrote {", ".join(outputs)} to {args.out}'
              + (f' (kept {", ".join(kept)})' if kept else ''))
        return
    if args.json:
        require_writable_file(args.json, '--json')
    rows = []
    with contextlib.ExitStack() as stack:
        ref = stack.enter_context(reference_modules(args.reference))
        work_dir = args.work_dir or stack.enter_context(
            tempfile.TemporaryDirectory(prefix='etris_parity_'))
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        for backbone in args.backbones:
            rows.append(full_parity(ref, args.reference, backbone, Path(work_dir)))
            print(json.dumps(rows[-1]), flush=True)
    print(format_table(rows))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    run_cli(main)

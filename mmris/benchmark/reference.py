"""The reference ETRIS (``kkakkkka/ETRIS``) built from a local checkout, for
side-by-side benchmarks: its config per vision tower, a scoped import of its
code, and its own inference and training steps."""
import contextlib
import importlib
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterator

import torch

from mmris.models.encoders.clip_weights import openai_clip_state_dict, save_clip_state_dict
from mmris.utils import UsageError
from mmris.utils.precision import autocast

# Its config file per vision tower: (encoder type, ResNet block counts or None).
REFERENCE_CONFIG_FILES = {
    ('CLIPVisionTransformer', None): 'bridge_v16.yaml',
    ('CLIPModifiedResNet', (3, 4, 6, 3)): 'bridge_r50.yaml',
    ('CLIPModifiedResNet', (3, 4, 23, 3)): 'bridge_r101.yaml',
}


def is_reference_checkout(folder: str) -> bool:
    """Whether ``folder`` holds the reference's ``model/segmenter.py``."""
    return (Path(folder) / 'model' / 'segmenter.py').is_file()


def reference_config_file(model: torch.nn.Module) -> str:
    """The reference config file (``config/refcoco/*.yaml``) of ``model``'s
    vision tower; UsageError for a model the reference does not have."""
    vision = getattr(getattr(model, 'backbone', None), 'vision_encoder', None)
    kind = type(vision).__name__
    blocks = None
    if kind == 'CLIPModifiedResNet':
        blocks = tuple(len(getattr(vision, f'layer{i}')) for i in range(1, 5))
    name = REFERENCE_CONFIG_FILES.get((kind, blocks))
    if name is None:
        raise UsageError(f'--reference: the reference ETRIS has ViT-B/16, RN50 and RN101 '
                         f'models; this config\'s vision tower is {kind}'
                         f'{"" if blocks is None else " with blocks " + str(blocks)}. Use one '
                         f'of configs/etris/*')
    return name


def _top_level_names(folder: Path) -> set:
    """Names importable from ``folder``: its packages and ``.py`` modules."""
    return {path.stem for path in folder.iterdir()
            if path.suffix == '.py' or (path / '__init__.py').is_file()}


@contextlib.contextmanager
def imports_from(folder: Path) -> Iterator[None]:
    """Within the block, top-level imports resolve to ``folder`` first, and
    modules of the same names imported before (another ``model`` or
    ``utils``) are set aside; afterwards ``sys.path`` and ``sys.modules``
    are as they were. What the block imported stays usable through the
    objects that hold it."""
    names = _top_level_names(folder)

    def ours(name: str) -> bool:
        return name.partition('.')[0] in names

    set_aside = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in set_aside:
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(set_aside)


def _construct_reference(checkout: Path, args: dict) -> torch.nn.Module:
    """The reference's ``model.segmenter.ETRIS(args)``, its code imported
    from ``checkout`` and built within :func:`imports_from`."""
    with imports_from(checkout):
        try:
            reference_etris = importlib.import_module('model.segmenter').ETRIS
        except ImportError as error:
            raise UsageError(f'--reference {str(checkout)!r}: cannot import its model ({error}); '
                             f'it needs loguru, ftfy and regex installed') from error
        return reference_etris(SimpleNamespace(**args))


def build_reference(checkout: str, model: torch.nn.Module, input_size: int,
                    device: str) -> torch.nn.Module:
    """The reference ETRIS of ``model``'s backbone, from a local checkout,
    with ``model``'s CLIP tower weights (written to a temporary TorchScript
    archive as OpenAI ships them); its ``source`` attribute says what it was
    built from.

    Raises:
        UsageError: the reference cannot be imported or built, or its
            trainable parameters differ in number from ``model``'s.
    """
    import yaml
    checkout = Path(checkout).resolve()
    config_file = checkout / 'config' / 'refcoco' / reference_config_file(model)
    if not config_file.is_file():
        raise UsageError(f'--reference {str(checkout)!r} has no {config_file.name} under '
                         f'config/refcoco/; give a full checkout of kkakkkka/ETRIS')
    with open(config_file) as f:
        args = {}
        for section in yaml.safe_load(f).values():
            args.update(section)
    args.update(input_size=input_size, word_len=model.backbone.text_encoder.text_length)
    with tempfile.TemporaryDirectory(prefix='etris_reference_') as folder:
        # The reference tells a ResNet from a ViT by 'RN' in the archive's path.
        archive = Path(folder) / Path(args['clip_pretrain']).name
        if ('RN' in str(archive)) != ('RN' in archive.name):
            raise UsageError(f'--reference: the temporary folder {folder!r} has "RN" in its '
                             f'path, which the reference reads as a ResNet; set TMPDIR')
        backbone = model.backbone
        save_clip_state_dict(
            openai_clip_state_dict(backbone.vision_encoder, backbone.text_encoder), archive)
        reference = _construct_reference(checkout, dict(args, clip_pretrain=str(archive)))
    trainable = [sum(p.numel() for p in m.parameters() if p.requires_grad)
                 for m in (reference, model)]
    if trainable[0] != trainable[1]:
        raise UsageError(f'--reference: the reference ETRIS of {config_file.name} has '
                         f'{trainable[0]:,} trainable parameters and this model {trainable[1]:,}; '
                         f'compare a config of configs/etris/* without model changes')
    reference.source = f'{config_file}, input {input_size}, L={args["word_len"]}'
    return reference.to(device)


def reference_inference_step(reference: torch.nn.Module, images: torch.Tensor,
                             token_ids: torch.Tensor, precision: str, device: str
                             ) -> Callable[[], object]:
    """The reference's forward in eval mode without gradients."""
    reference.eval()

    def step():
        with torch.no_grad(), autocast(precision, device):
            return reference(images, token_ids)

    return step


def reference_training_step(reference: torch.nn.Module, images: torch.Tensor,
                            token_ids: torch.Tensor, masks: torch.Tensor, precision: str,
                            device: str) -> Callable[[], object]:
    """The reference's training step (its train loop): forward with the
    mask (B, 1, H, W), which returns the loss, then Adam, with a GradScaler
    in fp16."""
    reference.train()
    optimizer = torch.optim.Adam([p for p in reference.parameters() if p.requires_grad],
                                 lr=1e-4)
    scaler = torch.amp.GradScaler('cuda') if precision == 'fp16' else None

    def step():
        with autocast(precision, device):
            _, _, loss = reference(images, token_ids, masks)
        optimizer.zero_grad()
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        return loss

    return step

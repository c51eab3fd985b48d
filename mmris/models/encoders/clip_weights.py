"""Reading OpenAI's released CLIP weights and splitting them per tower.

OpenAI ships TorchScript archives (``RN50.pt``, ``RN101.pt``,
``ViT-B-16.pt``); their ``state_dict()`` holds ``visual.*`` for the image
tower and ``transformer.*``, ``token_embedding.weight``,
``positional_embedding``, ``ln_final.*``, ``text_projection`` for the text
tower. TorchScript archives are opened with ``torch.jit.load``, which
rebuilds TorchScript modules and runs no pickled Python; any other file is
read as a plain state dict through mmris' weights-only loader.
"""
import os.path as osp
import warnings
import zipfile
from typing import Dict, Tuple

import torch

from mmris.engine.checkpoint_loader import safe_load

#: Entries of a CLIP archive that neither tower uses.
UNUSED_CLIP_KEYS = ('logit_scale', 'input_resolution', 'context_length', 'vocab_size')


def is_torchscript_archive(path: str) -> bool:
    """Whether ``path`` is a TorchScript zip (it has a ``code/`` folder)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.split('/')[1:2] == ['code'] for name in archive.namelist())


def load_clip_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The OpenAI-layout state dict in ``path`` (TorchScript archive, or a
    plain state dict, possibly under a ``state_dict`` key)."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'CLIP weights {path!r} not found: download OpenAI\'s release '
            '(e.g. ViT-B-16.pt) or set the backbone\'s clip_weights to its path')
    if is_torchscript_archive(path):
        with warnings.catch_warnings():  # torch >= 2.9 deprecates TorchScript, OpenAI ships it
            warnings.simplefilter('ignore', DeprecationWarning)
            return torch.jit.load(path, map_location='cpu').state_dict()
    checkpoint = safe_load(path, map_location='cpu')
    return checkpoint.get('state_dict', checkpoint)


def split_clip_state_dict(state_dict: Dict[str, torch.Tensor]
                          ) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
    """``(visual, text)`` state dicts, keys relative to each tower."""
    visual, text = {}, {}
    for key, value in state_dict.items():
        if key.startswith('visual.'):
            visual[key[len('visual.'):]] = value
        elif key not in UNUSED_CLIP_KEYS:
            text[key] = value
    return visual, text

"""Reading CLIP weights in OpenAI's key layout and splitting them per tower.

OpenAI ships TorchScript archives (``RN50.pt``, ``RN101.pt``,
``ViT-B-16.pt``); their ``state_dict()`` holds ``visual.*`` for the image
tower and ``transformer.*``, ``token_embedding.weight``,
``positional_embedding``, ``ln_final.*``, ``text_projection`` for the text
tower. TorchScript archives are opened with ``torch.jit.load``, which
rebuilds TorchScript modules and runs no pickled Python; any other file
(``.pth``, ``.safetensors``) is read as a plain state dict through mmris'
weights-only loader.

A Hugging Face CLIP directory (``CLIPModel.save_pretrained``, e.g.
``openai/clip-vit-base-patch16``) is read by transformers and its keys are
mapped to OpenAI's layout (:func:`hf_clip_to_openai`): separate q/k/v
projections are concatenated into ``in_proj_*`` and the projection
matrices are transposed.

The writer, :func:`save_clip_state_dict` of :func:`openai_clip_state_dict`,
makes files of the same forms from mmris towers (tests, the benchmark's
reference run).
"""
import json
import os.path as osp
import re
import warnings
import zipfile
from typing import Dict, Tuple

import torch
from torch import nn
from transformers import CLIPModel

from mmris.checkpoint.loader import safe_load

from .hf_pretrained import quiet_transformers

#: Entries of a CLIP archive that neither tower uses.
UNUSED_CLIP_KEYS = ('logit_scale', 'input_resolution', 'context_length', 'vocab_size')


def is_torchscript_archive(path: str) -> bool:
    """Whether ``path`` is a TorchScript zip (it has a ``code/`` folder)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.split('/')[1:2] == ['code'] for name in archive.namelist())


#: (pattern, replacement) applied in turn to the keys of a transformers
#: CLIPModel: tower prefixes first, then the names inside a block.
HF_CLIP_RENAMES = (
    (r'^text_model\.embeddings\.token_embedding\.', 'token_embedding.'),
    (r'^text_model\.embeddings\.position_embedding\.weight$', 'positional_embedding'),
    (r'^text_model\.encoder\.layers\.', 'transformer.resblocks.'),
    (r'^text_model\.final_layer_norm\.', 'ln_final.'),
    (r'^vision_model\.embeddings\.class_embedding$', 'visual.class_embedding'),
    (r'^vision_model\.embeddings\.patch_embedding\.', 'visual.conv1.'),
    (r'^vision_model\.embeddings\.position_embedding\.weight$', 'visual.positional_embedding'),
    (r'^vision_model\.pre_layrnorm\.', 'visual.ln_pre.'),
    (r'^vision_model\.encoder\.layers\.', 'visual.transformer.resblocks.'),
    (r'^vision_model\.post_layernorm\.', 'visual.ln_post.'),
    (r'\.self_attn\.out_proj\.', '.attn.out_proj.'),
    (r'\.layer_norm1\.', '.ln_1.'),
    (r'\.layer_norm2\.', '.ln_2.'),
    (r'\.mlp\.fc1\.', '.mlp.c_fc.'),
    (r'\.mlp\.fc2\.', '.mlp.c_proj.'),
)
#: Linear projections of a CLIPModel (out, in) and their OpenAI matrix (in, out).
HF_CLIP_PROJECTIONS = {'text_projection.weight': 'text_projection',
                       'visual_projection.weight': 'visual.proj'}
_QKV = re.compile(r'^(?P<block>.+)\.self_attn\.(?P<part>[qkv])_proj\.(?P<kind>weight|bias)$')


def hf_clip_to_openai(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """A transformers ``CLIPModel`` state dict in OpenAI's key layout.

    Raises ValueError listing keys that have no OpenAI counterpart.
    """
    openai, qkv, unknown = {}, {}, []
    for key, value in state_dict.items():
        if key in HF_CLIP_PROJECTIONS:
            openai[HF_CLIP_PROJECTIONS[key]] = value.t()
            continue
        if key == 'logit_scale':
            openai[key] = value
            continue
        for pattern, replacement in HF_CLIP_RENAMES:
            key = re.sub(pattern, replacement, key)
        match = _QKV.match(key)
        if match:
            qkv.setdefault((match['block'], match['kind']), {})[match['part']] = value
        elif key.startswith(('visual.', 'transformer.', 'token_embedding.', 'ln_final.')) or \
                key == 'positional_embedding':
            openai[key] = value
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f'HF CLIP weights with no OpenAI counterpart: {unknown[:5]}')
    for (block, kind), parts in qkv.items():
        openai[f'{block}.attn.in_proj_{kind}'] = torch.cat([parts['q'], parts['k'], parts['v']])
    return openai


def load_hf_clip_state_dict(directory: str) -> Dict[str, torch.Tensor]:
    """The weights of Hugging Face CLIP directory ``directory`` in OpenAI's
    layout (read by transformers, local files only).

    Raises ValueError if the directory is not a CLIP model, or if its towers
    differ from OpenAI's CLIP in a way the key map cannot carry (activation,
    LayerNorm epsilon).
    """
    config_file = osp.join(directory, 'config.json')
    config = {}
    if osp.isfile(config_file):
        with open(config_file) as f:
            config = json.load(f)
    if config.get('model_type') != 'clip':
        raise ValueError(
            f'CLIP weights {directory!r} is a directory but not a Hugging Face CLIP model '
            f'(model_type {config.get("model_type")!r} in {config_file}); clip_weights takes '
            f"OpenAI's archive (e.g. ViT-B-16.pt), a state dict file, or an HF directory with "
            f"model_type 'clip' (e.g. clip-vit-base-patch16)")
    with quiet_transformers():
        model = CLIPModel.from_pretrained(directory, local_files_only=True)
    for name, tower in (('text', model.config.text_config), ('vision', model.config.vision_config)):
        if tower.hidden_act != 'quick_gelu' or tower.layer_norm_eps != 1e-5:
            raise ValueError(
                f'{directory!r}: its {name} tower uses {tower.hidden_act} with LayerNorm eps '
                f"{tower.layer_norm_eps}, but mmris' OpenAI-layout CLIP encoders use quick_gelu "
                f'and 1e-5; run this model with HFVisionEncoder / HFTextEncoder instead')
    return hf_clip_to_openai(model.state_dict())


def load_clip_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The OpenAI-layout state dict in ``path``: a TorchScript archive, a
    plain state dict (possibly under a ``state_dict`` key; ``.pth`` or
    ``.safetensors``), or a Hugging Face CLIP directory."""
    if osp.isdir(path):
        return load_hf_clip_state_dict(path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'CLIP weights {path!r} not found: download OpenAI\'s release '
            '(e.g. ViT-B-16.pt) or a Hugging Face CLIP directory, or set the backbone\'s '
            'clip_weights to its path')
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


def openai_clip_state_dict(vision_encoder: nn.Module, text_encoder: nn.Module
                           ) -> Dict[str, torch.Tensor]:
    """The weights of two OpenAI-layout towers as one CLIP state dict:
    ``visual.*`` for the image tower, the text tower's keys at the top
    level, without what OpenAI's files do not hold (the image tower's
    ``keys_not_in_openai_weights``, e.g. the RN pool's ``connect`` branch)."""
    skipped = getattr(vision_encoder, 'keys_not_in_openai_weights', ())
    state = {f'visual.{key}': value for key, value in vision_encoder.state_dict().items()
             if not key.startswith(skipped)}
    state.update(text_encoder.state_dict())
    return state


class _ArchiveNode(nn.Module):
    """A scriptable module that only holds buffers (a node of an archive)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def save_clip_state_dict(state_dict: Dict[str, torch.Tensor], path: str,
                         torchscript: bool = True) -> str:
    """Write ``state_dict`` to ``path`` in a form :func:`load_clip_state_dict`
    reads: a TorchScript archive whose ``state_dict()`` gives it back, the
    form of OpenAI's released ``*.pt`` files (``torchscript=True``), or a
    plain ``torch.save`` state dict. Returns ``path`` as a str."""
    state_dict = {key: value.detach().cpu().clone() for key, value in state_dict.items()}
    if not torchscript:
        torch.save(state_dict, str(path))
        return str(path)
    root = _ArchiveNode()
    for key, value in state_dict.items():
        *parents, leaf = key.split('.')
        node = root
        for name in parents:
            if name not in node._modules:
                node.add_module(name, _ArchiveNode())
            node = node._modules[name]
        node.register_buffer(leaf, value)
    with warnings.catch_warnings():  # torch >= 2.9 deprecates TorchScript, OpenAI ships it
        warnings.simplefilter('ignore', DeprecationWarning)
        torch.jit.script(root).save(str(path))
    return str(path)

"""Checkpoints in the safetensors format: flat ``name -> tensor`` files that
hold no pickled objects, so reading one can run no code.

:func:`load_safetensors` is what mmris' checkpoint loading calls for a file
ending in ``.safetensors`` (``load_from``, ``init_model``, the converters);
:func:`save_safetensors` writes one, with string metadata.
"""
from typing import Dict, Optional

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

SUFFIX = '.safetensors'


def is_safetensors(filename: str) -> bool:
    """Whether ``filename`` names a safetensors file (by its suffix)."""
    return str(filename).endswith(SUFFIX)


def load_safetensors(filename: str, map_location=None) -> Dict[str, torch.Tensor]:
    """The state dict in ``filename``, on ``map_location`` when that is a
    device (a str or ``torch.device``), else on the CPU.

    Raises ValueError naming the file when it is not a valid safetensors file.
    """
    device = str(map_location) if isinstance(map_location, (str, torch.device)) else 'cpu'
    try:
        return load_file(filename, device=device)
    except SafetensorError as error:
        raise ValueError(f'{filename!r} is not a valid safetensors file: {error}') from error


def save_safetensors(state_dict: Dict[str, torch.Tensor], filename: str,
                     metadata: Optional[Dict[str, str]] = None) -> None:
    """Write ``state_dict`` (tensors made contiguous) with ``metadata``."""
    save_file({key: value.contiguous() for key, value in state_dict.items()}, filename,
              metadata=metadata)

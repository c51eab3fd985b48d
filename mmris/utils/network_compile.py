"""``torch.compile`` for inference: the parts of a model that take tensors
alone.

A segmentor's or detector's ``predict`` also handles data samples (lists,
metainfo, OpenCV warps), which ``torch.compile`` cannot trace without graph
breaks. Its backbone, neck and decode head take and give tensors (ETRIS'
backbone the images and token ids), and they hold nearly all of the time,
so their ``forward`` methods are compiled, on the instances: state-dict
keys do not change, a checkpoint loads as before, and a head whose
``predict`` calls ``self.forward`` (mmseg's) runs compiled too. The first
pass of each input shape compiles (tens of seconds on a CPU, less once
inductor's cache holds it); later passes reuse it.

Where it pays (docs/performance.md): small models, where the many small
operations between the matmuls are what compiling fuses, and bf16 on a CPU
with native bf16 (ViT-B/16 at 416: 0.91x of eager); in fp32 a ViT-B/16 or
RN50 at 416 on a CPU spends its time in matmuls and convolutions that
compiling does not speed up.
"""
from typing import List, Union

import torch
from torch import nn

#: The parts compiled, in the order they run.
COMPILED_PARTS = ('backbone', 'neck', 'decode_head')


def compile_network(model: nn.Module, options: Union[bool, dict] = True) -> List[str]:
    """Compile the ``forward`` of each part of ``model`` named in
    :data:`COMPILED_PARTS` with ``torch.compile`` options ``options``
    (``True``: the defaults).

    Returns:
        list[str]: the names of the compiled parts.

    Raises:
        ValueError: ``model`` has none of those parts.
    """
    parts = [name for name in COMPILED_PARTS if isinstance(getattr(model, name, None), nn.Module)]
    if not parts:
        raise ValueError(f'{type(model).__name__} has no {", ".join(COMPILED_PARTS)} to compile')
    for name in parts:
        part = getattr(model, name)
        part.forward = torch.compile(part.forward, **({} if options is True else dict(options)))
    return parts

"""Reduced precision: where bf16 pays, and the autocast a precision means.

A precision is one of :data:`PRECISIONS`: ``'fp32'`` (no autocast),
``'bf16'`` (``torch.autocast`` to bfloat16, on CPUs with native bf16
arithmetic and on CUDA devices that support it) or ``'fp16'`` (CUDA
autocast to float16). Asked for bf16 where it is not supported, mmris runs
in fp32 and says so in one line (:func:`resolve_precision`).
"""
from contextlib import nullcontext
from typing import ContextManager

import torch
from mmengine.logging import print_log

PRECISIONS = ('fp32', 'bf16', 'fp16')
DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}


def cpu_supports_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX512-BF16 or AMX), the
    case where bf16 matmuls run several times faster than fp32 ones; other
    CPUs emulate bf16 and gain nothing."""
    return any(getattr(torch.cpu, probe, lambda: False)()
               for probe in ('_is_avx512_bf16_supported', '_is_amx_tile_supported'))


def device_type(device) -> str:
    """``'cuda'`` for a CUDA device (``'cuda:1'``, ``torch.device``), else ``'cpu'``."""
    return 'cuda' if str(device).startswith('cuda') else 'cpu'


def bf16_supported(device) -> bool:
    """Whether ``device`` runs bf16 autocast natively."""
    if device_type(device) == 'cuda':
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return cpu_supports_bf16()


def resolve_precision(precision: str, device) -> str:
    """The precision to run ``precision`` in on ``device``.

    bf16 where the device lacks it becomes fp32, with a one-line notice.

    Raises:
        ValueError: an unknown precision, or fp16 on a CPU.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'precision {precision!r}: choose one of {", ".join(PRECISIONS)}')
    if precision == 'fp16' and device_type(device) != 'cuda':
        raise ValueError("precision 'fp16' (CUDA autocast) needs a CUDA device; on a CPU use "
                         "'bf16' (where the CPU supports it) or 'fp32'")
    if precision == 'bf16' and not bf16_supported(device):
        print_log(f'bf16 was asked for, but {device_type(device).upper()} here has no native '
                  f'bf16 (AVX512-BF16/AMX on CPUs): running in fp32', logger='current')
        return 'fp32'
    return precision


def autocast(precision: str, device) -> ContextManager:
    """``torch.autocast`` to the dtype of ``precision`` on ``device``'s type;
    a no-op context for fp32. Pass a precision from :func:`resolve_precision`."""
    if precision == 'fp32':
        return nullcontext()
    return torch.autocast(device_type(device), dtype=DTYPES[precision])

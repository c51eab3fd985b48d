"""Attention fused by oneDNN Graph, for bf16 inference on the CPU.

PyTorch's CPU flash-attention kernel runs no faster in bf16 than in fp32
(docs/performance.md). oneDNN Graph fuses the plain
``softmax(q @ k^T * scale) @ v`` of bf16 tensors into one kernel that uses
the CPU's bf16 instructions; on the ViT-B/16 vision tower at 416 it takes
about half the flash kernel's time. PyTorch reaches oneDNN Graph through
TorchScript: the expression is traced once per shape, and the traced
function runs with oneDNN Graph fusion on (``torch.jit.enable_onednn_fusion``,
set for the call and restored after it), which fuses it from its second or
third call on. TorchScript is deprecated (``torch.jit.trace`` warns so
under torch 2.13; the warning is silenced here): where a torch lacks it,
or lacks oneDNN, or the CPU lacks native bf16 (where oneDNN Graph leaves
the expression unfused), attention keeps to the flash kernel.

:func:`fused_attention` is used by :func:`mmris.models.layers.scaled_dot_product`
where it applies (see :func:`fused_attention_applies`): bf16 tensors on the
CPU, no gradient, no mask, no dropout, not inside ``torch.compile`` or a
dispatch mode.
:func:`use_fused_attention` turns it off for a block of code, e.g. to time
or compare the flash kernel.
"""
import contextlib
import warnings
from contextvars import ContextVar
from typing import Callable, Dict, Iterator, Optional, Tuple

import torch
from torch.utils._python_dispatch import is_in_torch_dispatch_mode

from mmris.utils.precision import cpu_supports_bf16

# Where oneDNN Graph fuses bf16 attention: a torch with TorchScript and
# oneDNN, on a CPU with native bf16 (elsewhere the trace runs unfused).
_AVAILABLE = (hasattr(torch.jit, 'trace') and hasattr(torch.jit, 'enable_onednn_fusion')
              and torch.backends.mkldnn.is_available() and cpu_supports_bf16())
_ENABLED: ContextVar[bool] = ContextVar('mmris_fused_attention', default=True)
# At most this many traced functions are kept (one per shape and layout).
_MAX_TRACED = 64
_traced: Dict[Tuple, Callable] = {}


@contextlib.contextmanager
def use_fused_attention(enabled: bool) -> Iterator[None]:
    """Turn the fused path on or off inside the block (on by default)."""
    token = _ENABLED.set(enabled)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def fused_attention_applies(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                            attn_mask: Optional[torch.Tensor], dropout_p: float,
                            is_causal: bool) -> bool:
    """Whether :func:`fused_attention` serves this call: this torch has
    TorchScript and oneDNN, the CPU has native bf16, it is on, the tensors
    are bf16 on the CPU, no gradient is taken, there is no mask,
    no dropout and no causal flag, and neither ``torch.compile`` nor a
    dispatch mode (e.g. ``FlopCounterMode``, which TorchScript functions do
    not run under) is active."""
    return (_AVAILABLE and _ENABLED.get() and query.device.type == 'cpu'
            and query.dtype == key.dtype == value.dtype == torch.bfloat16
            and attn_mask is None and not dropout_p and not is_causal
            and not (torch.is_grad_enabled()
                     and (query.requires_grad or key.requires_grad or value.requires_grad))
            and not torch.compiler.is_compiling() and not is_in_torch_dispatch_mode())


def _attention_of_scale(scale: float) -> Callable:
    # The scale is a Python constant, so that the trace holds a bf16 scalar:
    # one computed from the tensors' sizes would be an fp32 tensor in the
    # graph, which oneDNN Graph does not fuse.
    def attention(query, key, value):
        return torch.matmul((torch.matmul(query, key.transpose(-2, -1)) * scale).softmax(-1),
                            value)
    return attention


def fused_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """``softmax(query @ key^T / sqrt(d)) @ value`` through oneDNN Graph.

    Shapes: query (B, H, L, d), key and value (B, H, S, d), bf16 on the
    CPU -> (B, H, L, d). The inputs are made contiguous first (oneDNN's
    fused kernel is slow on the strided views of the heads).
    """
    query, key, value = query.contiguous(), key.contiguous(), value.contiguous()
    signature = (tuple(query.shape), tuple(key.shape), tuple(value.shape))
    was_enabled = torch.jit.onednn_fusion_enabled()
    torch.jit.enable_onednn_fusion(True)
    try:
        with torch.autocast('cpu', enabled=False):
            function = _traced.get(signature)
            if function is None:
                if len(_traced) >= _MAX_TRACED:
                    _traced.clear()
                with warnings.catch_warnings():
                    warnings.filterwarnings('ignore', message='`torch.jit.trace` is deprecated',
                                            category=DeprecationWarning)
                    function = _traced[signature] = torch.jit.trace(
                        _attention_of_scale(query.shape[-1] ** -0.5), (query, key, value),
                        check_trace=False)
            return function(query, key, value)
    finally:
        torch.jit.enable_onednn_fusion(was_enabled)

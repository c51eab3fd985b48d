"""Attention fused by oneDNN Graph, for bf16 inference on the CPU.

PyTorch's CPU flash-attention kernel runs no faster in bf16 than in fp32
(docs/performance.md). oneDNN Graph fuses the plain
``softmax(q @ k^T * scale) @ v`` of bf16 tensors into one kernel that uses
the CPU's bf16 instructions; on the ViT-B/16 vision tower at 416 it takes
about half the flash kernel's time. PyTorch reaches oneDNN Graph through
TorchScript: the expression is compiled from its source once per shape,
with the scale written as a constant, and runs with oneDNN Graph fusion on
(``torch.jit.enable_onednn_fusion``, set for the call and restored after
it); the first call of each new function, which TorchScript runs unfused
to profile it, is spent before the result is taken, so that the same
inputs give the same output on every call. TorchScript is
deprecated: where a torch lacks it, or lacks oneDNN, or the CPU lacks
native bf16 (where oneDNN Graph leaves the expression unfused), attention
keeps to the flash kernel.

:func:`fused_attention` is used by :func:`mmris.models.layers.scaled_dot_product`
where it applies (see :func:`fused_attention_applies`): bf16 tensors on the
CPU, no gradient, no mask, no dropout, not inside a dispatch mode. Inside
``torch.compile`` it is the custom operator ``torch.ops.mmris.onednn_attention``,
which the compiled graph calls as it is: compiled without it, bf16 inference
of ViT-B/16 ran slower than eager (docs/performance.md).
:func:`use_fused_attention` turns it off for a block of code, e.g. to time
or compare the flash kernel; a compiled graph keeps the choice in force when
it was compiled.
"""
import contextlib
from contextvars import ContextVar
from typing import Callable, Dict, Iterator, Optional, Tuple

import torch
from torch.utils._python_dispatch import is_in_torch_dispatch_mode

from mmris.utils.precision import cpu_supports_bf16

# Where oneDNN Graph fuses bf16 attention: a torch with TorchScript and
# oneDNN, on a CPU with native bf16 (elsewhere the expression runs unfused).
_AVAILABLE = (hasattr(torch.jit, 'CompilationUnit') and hasattr(torch.jit, 'enable_onednn_fusion')
              and torch.backends.mkldnn.is_available() and cpu_supports_bf16())
_ENABLED: ContextVar[bool] = ContextVar('mmris_fused_attention', default=True)
# At most this many compiled functions are kept, one per shape (TorchScript
# specializes a function's optimized graph to the shapes it has run on).
_MAX_SCRIPTED = 64
_scripted: Dict[Tuple, Callable] = {}


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
    are bf16 on the CPU, no gradient is taken, there is no mask, no dropout
    and no causal flag, and no dispatch mode (e.g. ``FlopCounterMode``,
    which TorchScript functions do not run under) is active outside
    ``torch.compile`` (which traces under one of its own)."""
    compiling = torch.compiler.is_compiling()
    return (_AVAILABLE and (_OPERATOR_REGISTERED or not compiling) and _switched_on()
            and query.device.type == 'cpu'
            and query.dtype == key.dtype == value.dtype == torch.bfloat16
            and attn_mask is None and not dropout_p and not is_causal
            and not (torch.is_grad_enabled()
                     and (query.requires_grad or key.requires_grad or value.requires_grad))
            and (compiling or not is_in_torch_dispatch_mode()))


def _read_switch() -> bool:
    return _ENABLED.get()


# torch.compile cannot trace ContextVar.get (a graph break in every
# attention call); it reads the switch once, when it compiles.
_assume_constant = getattr(torch.compiler, 'assume_constant_result', None)
_switched_on = _assume_constant(_read_switch) if _assume_constant else _read_switch


def _attention_of_scale(scale: float) -> Callable:
    """The attention expression as a TorchScript function, with ``scale``
    a constant of its graph: one computed from the tensors' sizes would be
    an fp32 tensor there, which oneDNN Graph does not fuse. Scripted from
    source rather than traced: tracing is refused inside some of
    ``torch.compile``'s dispatch modes, where the operator may run first."""
    source = ('def attention(query, key, value):\n'
              '    scores = torch.matmul(query, key.transpose(-2, -1)) * ' + repr(float(scale))
              + '\n    return torch.matmul(scores.softmax(-1), value)\n')
    return torch.jit.CompilationUnit(source).attention


def fused_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """``softmax(query @ key^T / sqrt(d)) @ value`` through oneDNN Graph;
    inside ``torch.compile``, the operator ``torch.ops.mmris.onednn_attention``
    that runs it.

    Shapes: query (B, H, L, d), key and value (B, H, S, d), bf16 on the
    CPU -> (B, H, L, d). The inputs are made contiguous first (oneDNN's
    fused kernel is slow on the strided views of the heads).
    """
    if torch.compiler.is_compiling():
        return torch.ops.mmris.onednn_attention(query, key, value)
    return _run_scripted(query, key, value)


def _run_scripted(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    query, key, value = query.contiguous(), key.contiguous(), value.contiguous()
    signature = (tuple(query.shape), tuple(key.shape), tuple(value.shape))
    was_enabled = torch.jit.onednn_fusion_enabled()
    torch.jit.enable_onednn_fusion(True)
    try:
        with torch.autocast('cpu', enabled=False):
            function = _scripted.get(signature)
            if function is None:
                if len(_scripted) >= _MAX_SCRIPTED:
                    _scripted.clear()
                function = _scripted[signature] = _attention_of_scale(query.shape[-1] ** -0.5)
                # TorchScript's profiling executor runs a new function's
                # first call unfused, to record its shapes; its rounding
                # differs from the fused kernel's. That call is spent here,
                # so that every result comes from the fused kernel.
                function(query, key, value)
            return function(query, key, value)
    finally:
        torch.jit.enable_onednn_fusion(was_enabled)


def _register_operator() -> bool:
    """Register ``mmris::onednn_attention`` for ``torch.compile`` (a torch
    with ``torch.library.custom_op``); whether it is registered."""
    if not (_AVAILABLE and hasattr(torch.library, 'custom_op')):
        return False

    @torch.library.custom_op('mmris::onednn_attention', mutates_args=())
    def onednn_attention(query: torch.Tensor, key: torch.Tensor,
                         value: torch.Tensor) -> torch.Tensor:
        return _run_scripted(query, key, value)

    @onednn_attention.register_fake
    def _(query, key, value):
        return query.new_empty((*query.shape[:-1], value.shape[-1]))

    return True


_OPERATOR_REGISTERED = _register_operator()

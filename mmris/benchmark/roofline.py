"""How close a step comes to the machine's matrix-multiply rate: the
floating-point operations of one step, counted by torch's
``FlopCounterMode``, over its median latency, against the rate of a large
square matrix product at the same precision, measured in the same process.

The step's work is almost all matrix products, convolutions and attention,
so the matmul rate bounds what any implementation of it can reach on this
machine; ``fraction`` says how much of that bound the step uses."""
import statistics
from typing import Callable, Dict

import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count

from mmris.utils.precision import DTYPES

from .timing import time_iterations


def _cpu_attention_flops(query_shape, key_shape, value_shape, *args, **kwargs) -> int:
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _cpu_attention_backward_flops(grad_out_shape, query_shape, key_shape, value_shape, *args,
                                  **kwargs) -> int:
    return sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)


# torch counts the CUDA kernels of scaled_dot_product_attention; these are
# the CPU's, which it leaves out.
_CPU_ATTENTION = {
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _cpu_attention_flops,
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward:
        _cpu_attention_backward_flops,
}


def count_flops(step: Callable[[], object]) -> int:
    """The floating-point operations of one call of ``step``: matrix
    products, convolutions and attention, forward and backward (a
    multiply-add counts 2), as ``torch.utils.flop_counter`` counts them,
    CPU attention included.

    What ``torch.compile`` wraps in ``step`` runs uncompiled here, in the
    code it was compiled from: the same products, counted without
    compiling (or recompiling) anything."""
    with torch.compiler.set_stance('force_eager'), \
            FlopCounterMode(display=False, custom_mapping=_CPU_ATTENTION) as counter:
        step()
    return counter.get_total_flops()


def matmul_rate(precision: str = 'fp32', device: str = 'cpu', size: int = 2048,
                repeat: int = 5) -> float:
    """GFLOP/s of a ``size`` x ``size`` by ``size`` x ``size`` matrix product
    in the dtype that ``precision`` computes matrix products in (fp32,
    bf16, fp16), on ``device``: the median of ``repeat`` timed products
    after one untimed one."""
    generator = torch.Generator().manual_seed(0)
    dtype = DTYPES.get(precision, torch.float32)
    a, b = (torch.randn(size, size, generator=generator).to(device, dtype) for _ in range(2))
    times = time_iterations(lambda: torch.mm(a, b), 1, repeat, device, progress=False)
    return 2 * size**3 / statistics.median(times) / 1e9


def roofline_figures(flops: int, median_ms: float, rate_gflops: float) -> Dict:
    """A step's figures against the matmul rate: its FLOPs, the rate it
    achieves (``flops`` over ``median_ms``), that rate's ``fraction`` of
    ``rate_gflops`` and the latency the step would take at the full rate."""
    achieved = flops / (median_ms / 1e3) / 1e9
    return dict(flops=flops, achieved_gflops=achieved, matmul_gflops=rate_gflops,
                fraction=achieved / rate_gflops,
                latency_at_matmul_rate_ms=flops / (rate_gflops * 1e9) * 1e3)

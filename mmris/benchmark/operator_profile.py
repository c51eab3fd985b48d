"""Where a step's time goes: torch.profiler's operators of a few calls of
the step, by the time spent in each operator itself (not in the operators
it calls), per step."""
from typing import Callable, Dict, List

import torch
from torch.profiler import ProfilerActivity, profile


def profile_operators(step: Callable[[], object], steps: int = 2, top: int = 20,
                      device: str = 'cpu') -> List[Dict]:
    """Profile ``steps`` calls of ``step`` (warm it up first: a first call
    compiles, allocates and picks kernels) and return the ``top`` operators
    by own time, largest first. On CUDA the time is the kernels' own GPU
    time, elsewhere the CPU's.

    Each entry: ``name`` (e.g. ``aten::addmm``), ``self_ms`` and ``calls``
    per step, and ``share``, its part of the own time of every operator of
    the step (the shares of all operators sum to 1)."""
    on_cuda = device.startswith('cuda')
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_cuda else [])
    with profile(activities=activities) as profiler:
        for _ in range(steps):
            step()
        if on_cuda:
            torch.cuda.synchronize()
    own_time = 'self_device_time_total' if on_cuda else 'self_cpu_time_total'
    averages = [event for event in profiler.key_averages() if getattr(event, own_time) > 0]
    total = sum(getattr(event, own_time) for event in averages)
    averages.sort(key=lambda event: getattr(event, own_time), reverse=True)
    return [dict(name=event.key, self_ms=getattr(event, own_time) / 1e3 / steps,
                 calls=event.count / steps, share=getattr(event, own_time) / total)
            for event in averages[:top]]

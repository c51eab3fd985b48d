"""Timing a step function: alone, or several side by side in alternating
order, with per-iteration latencies and their statistics."""
import time
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from mmengine.utils import ProgressBar

from .memory import MemoryProbe


def _synchronizer(device: str) -> Callable[[], None]:
    return torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)


class _Progress:
    """mmengine's progress bar over ``total`` iterations after a title line,
    or nothing when ``shown`` is false or there is nothing to count."""

    def __init__(self, total: int, title: str, shown: bool):
        self.bar = None
        if shown and total:
            print(title, flush=True)
            self.bar = ProgressBar(total)

    def update(self) -> None:
        if self.bar:
            self.bar.update()

    def close(self) -> None:
        if self.bar:
            print()


def time_iterations(step: Callable[[], object], warmup: int, repeat: int, device: str,
                    title: str = 'timing', progress: bool = True,
                    probe: Optional[MemoryProbe] = None) -> List[float]:
    """Run ``step`` ``warmup`` times, then time ``repeat`` runs one by one.

    Returns the ``repeat`` latencies in seconds. On CUDA the device is
    synchronised before and after every timed run. ``probe`` takes its
    baseline before the warm-up and tracks the peak over the timed runs.
    """
    sync = _synchronizer(device)
    if probe is not None:
        probe.baseline()
    bar = _Progress(warmup, f'{title}: warm-up', progress)
    for _ in range(warmup):
        step()
        bar.update()
    bar.close()
    sync()
    if probe is not None:
        probe.start()
    bar = _Progress(repeat, f'{title}: timed', progress)
    times = []
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
        bar.update()
    bar.close()
    return times


def time_side_by_side(steps: Dict[str, Callable[[], object]], warmup: int, repeat: int,
                      device: str, memory_iterations: int = 2, progress: bool = True
                      ) -> Dict[str, Dict]:
    """Time several steps under the same conditions.

    The warm-up alternates them; then each alone runs ``memory_iterations``
    times for its memory figures (peak and increase over the memory just
    before); then every timed round runs each once, in alternating order.
    Returns, per step, ``times`` (s) and the :class:`MemoryProbe` figures.
    """
    sync = _synchronizer(device)
    names = list(steps)
    bar = _Progress(warmup, 'warm-up, alternating', progress)
    for _ in range(warmup):
        for name in names:
            steps[name]()
        bar.update()
    bar.close()
    results = {}
    for name in names:
        probe = MemoryProbe(device)
        probe.baseline()
        probe.start(since=f'before its own {memory_iterations} iterations')
        for _ in range(memory_iterations):
            steps[name]()
        results[name] = dict(probe.stop(), times=[])
    bar = _Progress(repeat, 'timed, interleaved', progress)
    for index in range(repeat):
        for name in names if index % 2 == 0 else names[::-1]:
            sync()
            start = time.perf_counter()
            steps[name]()
            sync()
            results[name]['times'].append(time.perf_counter() - start)
        bar.update()
    bar.close()
    return results


def summarize(times: List[float], batch_size: int) -> Dict:
    """Latency statistics (ms) and images/s of per-iteration ``times`` (s)."""
    ms = np.asarray(times) * 1e3
    median = float(np.median(ms))
    return dict(median_ms=median, mean_ms=float(ms.mean()),
                p90_ms=float(np.percentile(ms, 90)), min_ms=float(ms.min()),
                max_ms=float(ms.max()), std_ms=float(ms.std()),
                images_per_s=batch_size / (median / 1e3))

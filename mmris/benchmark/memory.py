"""Peak memory of a stretch of iterations: CUDA's allocator statistics, or on
a CPU the peak resident set size read from /proc/self/status."""
import ctypes
import ctypes.util
import gc
import resource
import sys
from typing import Dict, Optional

import torch

MIB = 1024 ** 2


def _status_kb(field: str) -> Optional[int]:
    """``field`` (e.g. 'VmRSS') of /proc/self/status in kB, or None."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def _ru_maxrss_kb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == 'darwin' else peak  # bytes on macOS


def release_freed_memory() -> None:
    """Collect garbage and give memory the C allocator holds free back to
    the system (glibc ``malloc_trim``), so that the RSS counts live memory."""
    gc.collect()
    libc = ctypes.util.find_library('c')
    try:
        ctypes.CDLL(libc).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc
        pass


class MemoryProbe:
    """Peak memory over a stretch of iterations and its increase over a
    baseline taken earlier.

    - CUDA: ``torch.cuda.max_memory_allocated`` (peak statistics reset by
      :meth:`start`), and its increase over the memory allocated at
      :meth:`baseline`;
    - CPU: the peak resident set size (``VmHWM`` of /proc/self/status, reset
      through /proc/self/clear_refs; where that is impossible, the
      process-lifetime peak, ``VmHWM`` or ``ru_maxrss``) and its increase
      over the RSS at :meth:`baseline`.

    :meth:`stop` says which measure was used.
    """

    def __init__(self, device: str):
        self.device = device
        self.cuda = device.startswith('cuda')

    def baseline(self) -> None:
        """Record the memory in use now."""
        release_freed_memory()
        if self.cuda:
            torch.cuda.synchronize()
            self.base = torch.cuda.memory_allocated()
        else:
            rss = _status_kb('VmRSS')
            self.base = None if rss is None else rss * 1024

    def start(self, since: str = 'before warm-up') -> None:
        """Start tracking the peak; ``since`` names when :meth:`baseline` ran."""
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.measure = (f'CUDA torch.cuda.max_memory_allocated; increase over memory '
                            f'allocated {since}')
        elif _status_kb('VmHWM') is not None and _reset_peak_rss():
            self.measure = (f'CPU peak RSS (VmHWM, reset via /proc/self/clear_refs); increase '
                            f'over RSS {since}')
            self._peak = lambda: _status_kb('VmHWM') * 1024
        elif _status_kb('VmHWM') is not None:
            self.measure = (f'CPU peak RSS since process start (VmHWM, could not reset); '
                            f'increase over RSS {since}')
            self._peak = lambda: _status_kb('VmHWM') * 1024
        else:
            self.measure = 'CPU peak RSS since process start (ru_maxrss)'
            self._peak = lambda: _ru_maxrss_kb() * 1024

    def stop(self) -> Dict:
        """Peak and increase (MiB) since :meth:`start`, and the measure."""
        if self.cuda:
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated()
        else:
            peak = self._peak()
        increase = None if self.base is None else (peak - self.base) / MIB
        return dict(peak_memory_mb=peak / MIB, memory_increase_mb=increase,
                    memory_measure=self.measure)

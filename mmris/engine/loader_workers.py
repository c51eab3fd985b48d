"""Stop the worker processes of a finished run's data loaders at once.

torch stops a loader's workers when its iterator is freed. A runner sits in
reference cycles (hooks, loops, the model's wrapper), so its iterators are
freed by the garbage collector, at some later point of the process; from
there, joining each worker waited torch's whole status interval (5 s) before
it was killed (measured: 10.3 s for the two loaders of a demo config, where
stopping them directly takes under 0.1 s). A second runner in the same
process (``gres_demo.py``, ``gpu_check.py``, notebooks, tests) paid that
wait. Stopping the workers when the run ends avoids it.
"""
from typing import Iterable

from mmengine.runner import BaseLoop
from torch.utils.data.dataloader import _MultiProcessingDataLoaderIter


def close_loader_workers(loops: Iterable) -> None:
    """Stop the workers of every multi-process iterator of ``loops``' data
    loaders (a persistent loader's own iterator, and the one an iteration-
    based training loop keeps), and drop the persistent ones, so that a
    later run of the same loader starts new workers. Loops not built yet
    (config dicts) are skipped."""
    for loop in loops:
        if not isinstance(loop, BaseLoop):
            continue
        loader = loop.dataloader
        kept = getattr(loop, 'dataloader_iterator', None)  # IterBasedTrainLoop's
        for iterator in (getattr(loader, '_iterator', None), getattr(kept, '_iterator', None)):
            if isinstance(iterator, _MultiProcessingDataLoaderIter):
                iterator._shutdown_workers()
        if getattr(loader, '_iterator', None) is not None:
            loader._iterator = None

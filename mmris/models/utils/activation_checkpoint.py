"""Activation checkpointing of frozen encoder stages."""
from contextlib import contextmanager, nullcontext
from typing import Callable

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint


@contextmanager
def running_statistics_kept(module: nn.Module):
    """Within the context, the BatchNorms of ``module`` in training mode
    normalise with batch statistics as usual; on leaving it their running
    statistics are put back as they were."""
    norms = [m for m in module.modules()
             if isinstance(m, _BatchNorm) and m.training and m.track_running_stats]
    saved = [[buffer.clone() for buffer in (m.running_mean, m.running_var, m.num_batches_tracked)]
             for m in norms]
    try:
        yield
    finally:
        for norm, (mean, var, count) in zip(norms, saved):
            norm.running_mean.copy_(mean)
            norm.running_var.copy_(var)
            norm.num_batches_tracked.copy_(count)


def checkpointed(function: Callable, module: nn.Module, *args):
    """``function(*args)`` without keeping its activations for backward:
    they are recomputed when the gradient reaches it (non-reentrant
    ``torch.utils.checkpoint``, RNG state restored).

    ``module`` is what ``function`` runs; during the recomputation its
    training-mode BatchNorms do not update their running statistics again,
    so a step counts each batch once, as without checkpointing.
    """
    return checkpoint(function, *args, use_reentrant=False,
                      context_fn=lambda: (nullcontext(), running_statistics_kept(module)))

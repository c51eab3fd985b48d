"""Frozen matrix weights stored in the autocast dtype, for inference.

Autocast casts the weight of each linear layer and convolution to bf16 (or
fp16) when it runs. It keeps such a cast for reuse only for a weight that
needs a gradient, and only until the autocast block ends: at inference every
weight is cast again on every forward. For ViT-B/16 at 416 that is about
20 ms of a 630 ms bf16 step on a 2-core CPU (docs/performance.md). Storing
the weights of frozen layers in that dtype once saves those casts, and half
their memory, and changes no output: autocast would have cast them to the
same values. A model treated so runs only under that autocast: in fp32 its
cast layers would meet fp32 inputs.
"""
from torch import nn

from mmris.models.layers.attention import MultiheadAttention
from mmris.utils.precision import DTYPES

# Layers whose forward passes their weight and bias only to operators that
# autocast runs in the lower precision (linear, convolution). Subclasses are
# left out: one may use its weight otherwise (e.g. standardise it in fp32).
CAST_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, MultiheadAttention)


def store_frozen_weights_in(model: nn.Module, precision: str) -> int:
    """Convert, in place, the floating-point parameters of each layer of a
    type in :data:`CAST_LAYERS` (exactly) whose parameters all need no
    gradient, and none of which another kind of layer shares (a tied
    embedding), to the autocast dtype of ``precision`` (``'bf16'`` or
    ``'fp16'``; ``'fp32'`` converts nothing). ``MultiheadAttention``'s
    output projection is a layer of its own, cast by the same rule.

    Returns:
        int: the number of parameters converted.
    """
    if precision == 'fp32':
        return 0
    dtype = DTYPES[precision]
    shared = {id(p) for layer in model.modules() if type(layer) not in CAST_LAYERS
              for p in layer.parameters(recurse=False)}
    converted = 0
    for layer in model.modules():
        if type(layer) not in CAST_LAYERS:
            continue
        params = list(layer.parameters(recurse=False))
        if not params or any(p.requires_grad or id(p) in shared for p in params):
            continue
        for param in params:
            if param.is_floating_point() and param.dtype != dtype:
                param.data = param.data.to(dtype)
                converted += 1
    return converted

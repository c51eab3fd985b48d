"""Mixed precision training without a loss scaler, as AMP runs on a CPU."""
from contextlib import contextmanager
from typing import Union

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from mmris.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """:class:`mmengine.optim.OptimWrapper` whose forward runs under
    ``torch.autocast(device_type, dtype)``.

    bfloat16 keeps fp32's exponent range, so gradients need no loss scaling
    and this is all bf16 AMP needs. mmengine's ``AmpOptimWrapper`` asserts a
    GPU; ``mmris.Runner`` builds this wrapper instead where a config asks
    for AMP on a CPU with native bf16. Parameters, gradients and optimizer
    states stay fp32.

    Args:
        dtype (str | torch.dtype): Autocast dtype (``'bfloat16'``).
        device_type (str): ``'cpu'`` or ``'cuda'``.
        **kwargs: :class:`OptimWrapper`'s arguments.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', device_type: str = 'cpu',
                 **kwargs):
        super().__init__(**kwargs)
        dtypes = {'bfloat16': torch.bfloat16, 'float16': torch.float16}
        self.cast_dtype = dtypes.get(dtype, dtype)
        if self.cast_dtype not in dtypes.values():
            raise ValueError(f'AutocastOptimWrapper dtype {dtype!r}: choose bfloat16 or float16')
        self.device_type = device_type

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(self.device_type,
                                                          dtype=self.cast_dtype):
            yield

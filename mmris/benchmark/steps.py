"""What a benchmark times: one inference or one training step of a model on
fixed inputs, as a function of no arguments."""
from typing import Callable

import torch

from mmris.models.utils import store_frozen_weights_in
from mmris.utils import UsageError
from mmris.utils.precision import autocast


def inference_step(model: torch.nn.Module, images: torch.Tensor, samples: list,
                   precision: str = 'fp32', device: str = 'cpu') -> Callable[[], object]:
    """``model._forward`` in eval mode without gradients, under the autocast
    of ``precision``; for bf16 or fp16 the frozen layers' weights are first
    stored in that dtype, as ``RISInferencer`` and ``tools/test.py`` run it
    (:func:`~mmris.models.utils.store_frozen_weights_in`: the model then
    runs under that autocast only)."""
    model.eval()
    store_frozen_weights_in(model, precision)

    def step():
        with torch.no_grad(), autocast(precision, device):
            return model._forward(images, samples)

    return step


def training_step(model: torch.nn.Module, images: torch.Tensor, samples: list,
                  precision: str = 'fp32', device: str = 'cpu') -> Callable[[], object]:
    """One optimisation step in train mode: ``model.loss``, backward and Adam
    over the trainable parameters, through the optim wrapper the runner
    would use for ``precision``: ``OptimWrapper`` for fp32,
    ``AmpOptimWrapper`` for fp16, :class:`mmris.engine.AutocastOptimWrapper`
    for bf16."""
    from mmengine.optim import AmpOptimWrapper, OptimWrapper

    from mmris.engine import AutocastOptimWrapper
    from mmris.utils.precision import device_type
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise UsageError('the model has no trainable parameters to time a training step of')
    optimizer = torch.optim.Adam(params, lr=1e-4)
    if precision == 'fp16':
        wrapper = AmpOptimWrapper(optimizer=optimizer)
    elif precision == 'bf16':
        wrapper = AutocastOptimWrapper(optimizer=optimizer, device_type=device_type(device))
    else:
        wrapper = OptimWrapper(optimizer)

    def step():
        with wrapper.optim_context(model):
            losses = model.loss(images, samples)
        loss, _ = model.parse_losses(losses)
        wrapper.update_params(loss)
        return loss

    return step

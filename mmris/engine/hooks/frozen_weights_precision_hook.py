"""A hook that stores the frozen weights at the test precision once the
checkpoint is in the model."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmris.models.utils import store_frozen_weights_in
from mmris.registry import HOOKS


@HOOKS.register_module()
class FrozenWeightsPrecisionHook(Hook):
    """Before the test loop, store the weights of the model's frozen layers
    at ``precision`` (:func:`~mmris.models.utils.store_frozen_weights_in`:
    the values autocast would cast them to, once instead of on every call).

    ``Runner.test()`` loads the checkpoint first: a parameter-efficient
    checkpoint's frozen weights are restored and checked against their
    fingerprint in fp32, which weights already stored in bf16 would fail.

    Args:
        precision (str): ``'bf16'``, ``'fp16'`` or ``'fp32'`` (nothing to do).
    """

    priority = 'VERY_HIGH'

    def __init__(self, precision: str):
        self.precision = precision

    def before_test(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        store_frozen_weights_in(model, self.precision)

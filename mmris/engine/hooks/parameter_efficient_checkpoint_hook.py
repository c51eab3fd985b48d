"""A hook that saves parameter-efficient checkpoints and loads them back."""
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmris.checkpoint.parameter_efficient import (
    complete_state_dict,
    fingerprint,
    make_parameter_efficient,
    restorable_keys,
)
from mmris.registry import HOOKS


@HOOKS.register_module()
class ParameterEfficientCheckpointHook(Hook):
    """Save checkpoints without the frozen weights the config restores, and
    complete such checkpoints when they are loaded (``load_from``,
    ``--resume``, ``tools/test.py``).

    See :mod:`mmris.checkpoint.parameter_efficient` for what is left
    out and how it comes back. Which keys are left out, and their
    fingerprint, are found at the first save and reused (frozen parameters
    do not change in training). ``mmris.Runner`` registers this hook for
    every config that does not set ``default_hooks.parameter_efficient_checkpoint``
    (``None`` turns it off); full checkpoints load as before.

    Args:
        save_full_state (bool): Save the whole state dict, as mmengine does
            (``tools/train.py --save-full-state``).
    """

    priority = 'VERY_LOW'

    def __init__(self, save_full_state: bool = False):
        self.save_full_state = save_full_state
        self._omitted: Optional[List[str]] = None
        self._fingerprint: Optional[str] = None

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model_cfg = runner.cfg.get('model')
        if self.save_full_state or not isinstance(model_cfg, dict):
            return
        if self._omitted is None:
            state_dict = checkpoint['state_dict']
            self._omitted = restorable_keys(state_dict, self._model(runner), model_cfg)
            self._fingerprint = fingerprint({key: state_dict[key] for key in self._omitted})
            kept = len(state_dict) - len(self._omitted)
            runner.logger.info(f'parameter-efficient checkpoints: {len(self._omitted)} frozen '
                               f'weights are left out (the config restores them), {kept} '
                               f'entries are saved')
        if self._omitted:
            make_parameter_efficient(checkpoint, self._omitted, model_cfg, self._fingerprint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        source = runner.cfg.get('load_from') or f'the latest checkpoint in {runner.work_dir}'
        complete_state_dict(checkpoint, self._model(runner), runner.cfg.get('model') or {},
                            repr(source))

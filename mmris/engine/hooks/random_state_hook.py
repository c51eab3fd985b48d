"""A hook that makes a resumed run draw the random numbers an uninterrupted one would."""
from typing import Optional

import torch
from mmengine.hooks import Hook

from mmris.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save torch's random state in each checkpoint and restore it when
    training resumes, so that dropout after a resume draws what the
    uninterrupted run drew: the resumed run then equals it (same losses,
    optimizer and scheduler states).

    mmengine resumes the iteration, optimizer, schedulers and the data
    order (it re-seeds the sampler and data workers and skips the batches
    already seen), but not torch's random state in the main process, which
    a model with dropout consumes. This hook keeps ``torch.get_rng_state()``
    (and each CUDA device's state) in ``checkpoint['meta']['torch_random_state']``
    and sets it back as the first epoch after a resume begins, before its
    data loader draws from it (an ``IterBasedTrainLoop`` then skips the
    batches already seen, which draws nothing with an ``InfiniteSampler``).
Validation leaves torch's random state as it found it (creating a data
loader draws from it), so a run's random stream does not depend on where
it validated, or where it was resumed.
    Checkpoints are written by rank 0 only, so every rank gets rank 0's
    state, which is every rank's state unless
    ``randomness.diff_rank_seed=True``. ``mmris.Runner`` registers this
    hook for every config that does not set ``default_hooks.random_state``.
    """

    priority = 'VERY_LOW'
    META_KEY = 'torch_random_state'

    def __init__(self):
        self._pending: Optional[dict] = None
        self._before_val: Optional[dict] = None

    @staticmethod
    def _state() -> dict:
        state = dict(cpu=torch.get_rng_state())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        return state

    @staticmethod
    def _set_state(state: dict) -> None:
        torch.set_rng_state(state['cpu'])
        cuda_states = state.get('cuda')
        if cuda_states and torch.cuda.is_available() and \
                len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[self.META_KEY] = self._state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = (checkpoint.get('meta') or {}).get(self.META_KEY)

    def before_train(self, runner) -> None:
        if runner.iter == 0:  # load_from: a new run, not a resumed one
            self._pending = None

    def before_train_epoch(self, runner) -> None:
        if self._pending is None:
            return
        self._set_state(self._pending)
        runner.logger.info('restored the random state of the resumed checkpoint')
        self._pending = None

    def before_val(self, runner) -> None:
        self._before_val = self._state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            self._set_state(self._before_val)
            self._before_val = None

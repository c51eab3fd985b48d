"""A config trained for a few iterations at one precision: its losses,
their non-finite count and the validation figures."""
import copy
import math
import time
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.hooks import Hook

from mmris.registry import RUNNERS

#: Autocast dtypes of the reduced precisions, as mmengine's wrappers name them.
AMP_DTYPES = {'fp16': 'float16', 'bf16': 'bfloat16'}
#: Keys of a config's optim wrapper that only a precision's wrapper takes.
PRECISION_KEYS = ('type', 'loss_scale', 'dtype', 'device_type')


def optim_wrapper_for(optim_wrapper: dict, precision: str, device: str) -> dict:
    """A config's ``optim_wrapper`` set to train at ``precision`` on
    ``device`` (``'cuda'`` or ``'cpu'``), its optimizer, clipping and
    parameter-wise settings kept:

    - fp32: ``OptimWrapper``;
    - on CUDA: mmengine's ``AmpOptimWrapper`` (fp16 with a dynamic loss
      scale, bf16 without);
    - bf16 on a CPU: :class:`mmris.engine.AutocastOptimWrapper`, also on a
      CPU without native bf16, where bf16 is emulated: slow, but the
      numbers are those a bf16 CPU gives.

    Raises:
        ValueError: fp16 on a CPU, or an unknown precision.
    """
    wrapper = {key: value for key, value in optim_wrapper.items() if key not in PRECISION_KEYS}
    if precision == 'fp32':
        return dict(wrapper, type='OptimWrapper')
    if precision not in AMP_DTYPES:
        raise ValueError(f'precision {precision!r}: choose fp32, bf16 or fp16')
    if device == 'cuda':
        scale = dict(loss_scale='dynamic') if precision == 'fp16' else {}
        return dict(wrapper, type='AmpOptimWrapper', dtype=AMP_DTYPES[precision], **scale)
    if precision == 'fp16':
        raise ValueError('fp16 autocast needs CUDA; on a CPU check bf16')
    return dict(wrapper, type='mmris.AutocastOptimWrapper', dtype='bfloat16', device_type='cpu')


class LossRecorder(Hook):
    """Keeps the total loss of every training iteration and the metrics of
    the last validation, as plain Python numbers (metrics give numpy or
    torch scalars: mmseg's ``aAcc`` is a numpy float32), so that they go
    into JSON as they are."""

    priority = 'LOWEST'

    def __init__(self):
        self.losses: List[float] = []
        self.metrics: Dict[str, float] = {}

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        loss = outputs['loss']
        self.losses.append(loss.item() if hasattr(loss, 'item') else float(loss))

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self.metrics = {name: value.item() if hasattr(value, 'item') else value
                        for name, value in (metrics or {}).items()}


def short_training(cfg: Config, precision: str, device: str, iters: int, work_dir: str,
                   val_samples: Optional[int] = None) -> Dict:
    """Train ``cfg`` for ``iters`` iterations at ``precision`` with
    ``mmris.Runner`` (on the device it picks: CUDA where available), then
    validate once, on the first ``val_samples`` samples of the val set
    (``None``: all). Nothing is saved but the log in ``work_dir``.

    Returns:
        dict: ``losses`` (one per iteration), ``nonfinite`` (how many are
        NaN or inf), ``metrics`` (the validation's) and ``seconds`` (the
        wall time of training and validation).
    """
    cfg = copy.deepcopy(cfg)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
    cfg.optim_wrapper = optim_wrapper_for(cfg.optim_wrapper, precision, device)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.setdefault('runner_type', 'mmris.Runner')
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.parameter_efficient_checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=max(1, iters // 4),
                                    log_metric_by_epoch=False)
    if val_samples is not None:
        cfg.val_dataloader.dataset.indices = val_samples
    runner = RUNNERS.build(cfg)
    recorder = LossRecorder()
    runner.register_hook(recorder)
    start = time.perf_counter()
    runner.train()
    return dict(losses=recorder.losses,
                nonfinite=sum(not math.isfinite(loss) for loss in recorder.losses),
                metrics=recorder.metrics, seconds=time.perf_counter() - start)

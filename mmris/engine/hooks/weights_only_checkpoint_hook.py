"""A hook that writes checkpoints every weights-only loader opens."""
from mmengine.hooks import Hook

from mmris.checkpoint.model_fit import CONFIG_FILE_KEY
from mmris.checkpoint.plain_state import from_plain, to_plain
from mmris.registry import HOOKS


@HOOKS.register_module()
class WeightsOnlyCheckpointHook(Hook):
    """Save the runner state of a checkpoint as plain data and read it back.

    Before a checkpoint is saved, its ``message_hub`` and ``meta`` are
    written as plain data (:mod:`mmris.checkpoint.plain_state`), so
    ``torch.load(path, weights_only=True)`` opens the file: mmseg's
    ``init_model``, mmdet's ``init_detector`` and ``DetInferencer`` and their
    ``tools/test.py`` load it unchanged. ``meta['config_file']`` records the
    config the run was started with, which a refusal to load the checkpoint
    into another model names. After a checkpoint is loaded (``--resume``,
    ``load_from``), the objects are rebuilt, so resuming is exact.

    ``mmris.Runner`` registers this hook for every config that does not set
    ``default_hooks.weights_only_checkpoint`` (``None`` turns it off).
    Its priority is the lowest, so it sees what every other hook adds.
    """

    priority = 'LOWEST'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.setdefault('meta', {})
        if runner.cfg.filename:
            meta[CONFIG_FILE_KEY] = runner.cfg.filename
        for key in ('meta', 'message_hub'):
            if key in checkpoint:
                checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        for key in ('meta', 'message_hub'):
            if key in checkpoint:
                checkpoint[key] = from_plain(checkpoint[key])

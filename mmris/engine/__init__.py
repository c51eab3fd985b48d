"""Training machinery: the Runner, hooks and checkpoint loading."""
from .checkpoint_loader import UnsafeCheckpointError, safe_checkpoint_loading, safe_load
from .hooks import (
                    ClassVocabularyHook,
                    ParameterEfficientCheckpointHook,
                    RandomStateHook,
                    RISVisualizationHook,
)
from .optimizers import AutocastOptimWrapper
from .parameter_efficient_checkpoint import complete_state_dict, make_parameter_efficient
from .runner import Runner, init_dist

__all__ = [
    'AutocastOptimWrapper', 'ClassVocabularyHook', 'ParameterEfficientCheckpointHook',
    'RISVisualizationHook', 'RandomStateHook', 'Runner', 'UnsafeCheckpointError',
    'complete_state_dict', 'init_dist', 'make_parameter_efficient', 'safe_checkpoint_loading',
    'safe_load'
]

"""Training machinery: the Runner and its hooks.

Checkpoint loading lives in :mod:`mmris.checkpoint`; its entry points are
also importable from here, as before.
"""
from mmris.checkpoint import (
                              UnsafeCheckpointError,
                              complete_state_dict,
                              make_parameter_efficient,
                              safe_checkpoint_loading,
                              safe_load,
)

from .hooks import (
                    ClassVocabularyHook,
                    ParameterEfficientCheckpointHook,
                    RandomStateHook,
                    RISVisualizationHook,
)
from .optimizers import AutocastOptimWrapper
from .runner import Runner, init_dist

__all__ = [
    'AutocastOptimWrapper', 'ClassVocabularyHook', 'ParameterEfficientCheckpointHook',
    'RISVisualizationHook', 'RandomStateHook', 'Runner', 'UnsafeCheckpointError',
    'complete_state_dict', 'init_dist', 'make_parameter_efficient', 'safe_checkpoint_loading',
    'safe_load'
]

"""Training machinery: the Runner, hooks and checkpoint loading."""
from .checkpoint_loader import UnsafeCheckpointError, safe_load
from .hooks import ClassVocabularyHook, RISVisualizationHook
from .optimizers import AutocastOptimWrapper
from .runner import Runner, init_dist

__all__ = ['AutocastOptimWrapper', 'ClassVocabularyHook', 'RISVisualizationHook', 'Runner', 'UnsafeCheckpointError', 'init_dist', 'safe_load']

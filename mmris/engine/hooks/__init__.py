"""Hooks of the mmris runner."""
from .parameter_efficient_checkpoint_hook import ParameterEfficientCheckpointHook
from .random_state_hook import RandomStateHook
from .ris_visualization_hook import RISVisualizationHook, sample_name

__all__ = ['ParameterEfficientCheckpointHook', 'RISVisualizationHook', 'RandomStateHook',
           'sample_name']

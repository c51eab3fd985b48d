"""Hooks of the mmris runner."""
from .class_vocabulary_hook import (
                                    ClassVocabularyHook,
                                    check_annotation_categories,
                                    check_vocabulary,
                                    model_class_names,
)
from .frozen_weights_precision_hook import FrozenWeightsPrecisionHook
from .parameter_efficient_checkpoint_hook import ParameterEfficientCheckpointHook
from .random_state_hook import RandomStateHook
from .ris_visualization_hook import RISVisualizationHook, sample_name
from .weights_only_checkpoint_hook import WeightsOnlyCheckpointHook

__all__ = [
    'ClassVocabularyHook', 'FrozenWeightsPrecisionHook', 'ParameterEfficientCheckpointHook',
    'RISVisualizationHook', 'RandomStateHook', 'check_annotation_categories', 'check_vocabulary',
    'model_class_names', 'sample_name', 'WeightsOnlyCheckpointHook'
]

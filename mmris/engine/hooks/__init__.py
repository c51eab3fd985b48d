"""Hooks of the mmris runner."""
from .class_vocabulary_hook import ClassVocabularyHook, check_vocabulary, model_class_names
from .ris_visualization_hook import RISVisualizationHook, sample_name

__all__ = [
    'ClassVocabularyHook', 'RISVisualizationHook', 'check_vocabulary', 'model_class_names',
    'sample_name'
]

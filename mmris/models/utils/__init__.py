"""Helpers shared by mmris models: the features passed from part to part,
the check that parts fit, class prompts, activation checkpointing."""
from .activation_checkpoint import checkpointed
from .bridged_features import BridgedFeatures, TextFeatures, head_texts
from .part_fit import check_fit, check_model_parts_fit, check_parts_fit, output_channels
from .sample_expressions import sample_expressions

__all__ = [
    'BridgedFeatures', 'TextFeatures', 'check_fit', 'check_model_parts_fit', 'check_parts_fit',
    'checkpointed', 'head_texts', 'output_channels', 'sample_expressions'
]

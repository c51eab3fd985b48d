"""Helpers shared by mmris models: the features passed from part to part,
class prompts, activation checkpointing (the check that parts fit is
:mod:`mmris.utils.part_fit`, which mmris' runner runs too)."""
from .activation_checkpoint import checkpointed
from .bridged_features import BridgedFeatures, TextFeatures, head_texts
from .sample_expressions import sample_expressions

__all__ = [
    'BridgedFeatures', 'TextFeatures', 'checkpointed', 'head_texts', 'sample_expressions'
]

"""Helpers shared by mmris models: the features passed from part to part,
class prompts, activation checkpointing, frozen weights stored in the
autocast dtype for inference (the check that parts fit is
:mod:`mmris.utils.part_fit`, which mmris' runner runs too)."""
from .activation_checkpoint import checkpointed
from .bridged_features import BridgedFeatures, TextFeatures, head_texts
from .frozen_weights import store_frozen_weights_in
from .sample_expressions import sample_expressions

__all__ = [
    'BridgedFeatures', 'TextFeatures', 'checkpointed', 'head_texts', 'sample_expressions',
    'store_frozen_weights_in'
]

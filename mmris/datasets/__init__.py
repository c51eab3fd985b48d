"""Datasets (readers of the referring and segmentation sets) and data transforms."""
from .base_ris_dataset import BaseRISDataset
from .eval_sets import EvalSetsDataset
from .expression_sampler import ExpressionSampler
from .grefcoco import GRefCOCODataset
from .leak_free_concat import LeakFreeConcatDataset
from .refcoco import RefCOCODataset
from .ris_custom import RISCustomDataset
from .synthetic_shapes import SyntheticShapesDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseRISDataset', 'EvalSetsDataset', 'ExpressionSampler', 'GRefCOCODataset',
    'LeakFreeConcatDataset', 'RefCOCODataset', 'RISCustomDataset', 'SyntheticShapesDataset'
]

"""Datasets, their generators and data transforms."""
from .base_ris_dataset import BaseRISDataset
from .expression_sampler import ExpressionSampler
from .refcoco import RefCOCODataset
from .ris_custom import RISCustomDataset
from .synthetic_coco import generate_synthetic_coco
from .synthetic_refcoco import generate_synthetic_refcoco
from .synthetic_shapes import SyntheticShapesDataset, generate_synthetic_shapes
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseRISDataset', 'ExpressionSampler', 'RefCOCODataset', 'RISCustomDataset', 'SyntheticShapesDataset',
    'generate_synthetic_shapes'
]
__all__ += ['generate_synthetic_coco', 'generate_synthetic_refcoco']

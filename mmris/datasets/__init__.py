"""Datasets, their generators and data transforms."""
from .synthetic_shapes import SyntheticShapesDataset, generate_synthetic_shapes
from .transforms import *  # noqa: F401,F403

__all__ = ['SyntheticShapesDataset', 'generate_synthetic_shapes']

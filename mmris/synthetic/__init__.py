"""Generators of the download-free data sets (shape scenes) that the demos
and tests use; the readers of what they write stay in :mod:`mmris.datasets`."""
from .coco import generate_synthetic_coco
from .grefcoco import generate_synthetic_grefcoco
from .refcoco import generate_synthetic_refcoco
from .shapes import generate_synthetic_shapes

__all__ = [
    'generate_synthetic_coco', 'generate_synthetic_grefcoco', 'generate_synthetic_refcoco',
    'generate_synthetic_shapes'
]

"""Segmentors."""
from .etris import ETRIS

__all__ = ['ETRIS']

"""Bridger modules and the bridged dual-encoder backbone."""
from .bridged_dual_encoder import BridgedDualEncoder
from .bridger import Bridger, BridgerStage

__all__ = ['BridgedDualEncoder', 'Bridger', 'BridgerStage']

"""Bridger modules and the bridged dual-encoder backbone."""
from .bridged_dual_encoder import BridgedDualEncoder
from .bridger import Bridger, BridgerStage
from .interactors import FullInteractor, LightInteractor

__all__ = ['BridgedDualEncoder', 'Bridger', 'BridgerStage', 'FullInteractor', 'LightInteractor']

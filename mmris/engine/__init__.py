"""Training machinery: the Runner and checkpoint loading."""
from .checkpoint_loader import UnsafeCheckpointError, safe_load
from .runner import Runner, init_dist

__all__ = ['Runner', 'UnsafeCheckpointError', 'init_dist', 'safe_load']

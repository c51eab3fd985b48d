"""Small shared helpers."""
from .cli import UsageError, load_config, require_checkpoint, run_cli
from .set_env import register_all_modules

__all__ = ['UsageError', 'load_config', 'register_all_modules', 'require_checkpoint', 'run_cli']

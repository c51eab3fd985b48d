"""Small shared helpers."""
from .cli import (UsageError, add_cfg_options_argument, add_runner_arguments, load_config, prepare_runner_config,
                  require_checkpoint, run_cli)
from .set_env import register_all_modules

__all__ = [
    'UsageError', 'add_cfg_options_argument', 'add_runner_arguments', 'load_config', 'prepare_runner_config',
    'register_all_modules', 'require_checkpoint', 'run_cli'
]

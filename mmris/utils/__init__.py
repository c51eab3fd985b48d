"""Small shared helpers."""
from .cli import (
                  add_cfg_options_argument,
                  add_runner_arguments,
                  check_synthetic_set_options,
                  config_arguments_checked,
                  load_config,
                  prepare_runner_config,
                  print_split_counts,
                  require_at_least,
                  require_checkpoint,
                  require_config_keys,
                  require_writable_dir,
                  require_writable_file,
                  run_cli,
                  synthetic_set_parser,
)
from .errors import (
                  CheckpointError,
                  DatasetError,
                  ImageDecodeError,
                  UnsafeCheckpointError,
                  UsageError,
                  UserError,
)
from .set_env import register_all_modules

__all__ = [
    'CheckpointError', 'DatasetError', 'ImageDecodeError', 'UnsafeCheckpointError', 'UsageError',
    'UserError', 'add_cfg_options_argument', 'add_runner_arguments',
    'check_synthetic_set_options', 'config_arguments_checked',
    'load_config',
    'prepare_runner_config', 'print_split_counts', 'register_all_modules', 'require_at_least',
    'require_checkpoint', 'require_config_keys', 'require_writable_dir', 'require_writable_file',
    'run_cli', 'synthetic_set_parser'
]

"""What the command-line tools share: config loading and user-facing errors.

A tool wraps its ``main`` in :func:`run_cli`; problems with what the user
passed raise :class:`UsageError`, whose message names the file or field and
what to do. It is printed as the last line and the tool exits with status 2.
"""
import argparse
import difflib
import os
import os.path as osp
import sys
from typing import Callable, Optional

from mmengine.config import Config, DictAction

from mmris.engine.checkpoint_loader import UnsafeCheckpointError


class UsageError(Exception):
    """A problem with a tool's input, explained for the user."""


def add_cfg_options_argument(parser: argparse.ArgumentParser,
                             example: str = 'train_cfg.max_iters=100 train_dataloader.batch_size=4'
                             ) -> None:
    """``--cfg-options KEY=VALUE ...`` (read by :func:`load_config`), with
    ``example`` in its help."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help=f'override config entries, e.g. {example}; lists as a=[1,2]')


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The options train.py and test.py share, as in mmseg's tools."""
    parser.add_argument('--work-dir', help='folder for logs, checkpoints and metrics '
                        '(default: work_dirs/<config name>)')
    add_cfg_options_argument(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def prepare_runner_config(args: argparse.Namespace) -> Config:
    """Load ``args.config`` with ``args.cfg_options`` and set what every tool
    sets: launcher, work dir, and ``mmris.Runner`` unless the config names a
    runner."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.setdefault('runner_type', 'mmris.Runner')
    return cfg


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file and merge ``--cfg-options`` into it.

    Every ``--cfg-options`` key must name an existing entry (list items by
    index), except new top-level keys such as ``randomness`` or ``sync_bn``;
    a new key deeper down is a misspelling more often than not, so it is
    refused with the closest existing names. Add new nested keys in a config
    that inherits this one.

    The working directory is put on ``sys.path`` first, as ``python -m``
    does, so that a config's ``custom_imports`` finds a project's package
    (``projects.<name>.<package>``) when a tool runs from the repository
    root; mmseg's and mmdet's projects ask for ``PYTHONPATH=$PWD`` instead.

    Raises:
        UsageError: the file is missing or unreadable, or a key is unknown.
    """
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if not osp.isfile(path):
        raise UsageError(f'config file {path!r} does not exist; pass the path of a config '
                         f'file, e.g. one under configs/')
    try:
        cfg = Config.fromfile(path)
    except Exception as error:  # syntax errors, missing _base_ files, ...
        raise UsageError(f'config file {path!r} could not be read: {error}') from error
    for key in cfg_options or {}:
        _check_option_key(cfg, key)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _check_option_key(cfg: Config, key: str) -> None:
    node, walked = dict(cfg.items()), []
    for part in key.split('.'):
        if isinstance(node, (list, tuple)):
            if not (part.isdigit() and int(part) < len(node)):
                raise UsageError(f'bad --cfg-options key {key!r}: {".".join(walked)!r} is a '
                                 f'list of {len(node)} items, so {part!r} must be an index '
                                 f'from 0 to {len(node) - 1}')
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                if not walked:
                    return  # a new top-level option
                close = difflib.get_close_matches(part, [str(k) for k in node], n=3)
                hint = f'did you mean {" or ".join(repr(c) for c in close)}?' if close else \
                    f'it has {", ".join(repr(str(k)) for k in node)}.'
                raise UsageError(f'bad --cfg-options key {key!r}: {".".join(walked)!r} has no '
                                 f'{part!r}; {hint} Fix the key, or add new nested keys in a '
                                 f'config that inherits this one.')
            node = node[part]
        else:
            raise UsageError(f'bad --cfg-options key {key!r}: {".".join(walked)!r} is the '
                             f'value {node!r}, which has no field {part!r}')
        walked.append(part)


def require_checkpoint(path: str, flag: str) -> None:
    """Raise UsageError if the local checkpoint ``path`` given by ``flag`` is missing."""
    if '://' not in path and not osp.isfile(path):
        raise UsageError(f'checkpoint {path!r} ({flag}) does not exist; pass the path of a '
                         f'.pth file written by tools/train.py, e.g. '
                         f'work_dirs/<config name>/iter_<N>.pth')


def run_cli(main: Callable[[], None]) -> None:
    """Run a tool's ``main``; user errors end it with one clear line and exit 2."""
    try:
        main()
    except (UsageError, UnsafeCheckpointError) as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)

"""What the command-line tools share: config loading and user-facing errors.

A tool wraps its ``main`` in :func:`run_cli`; problems with what the user
passed raise a :class:`~mmris.utils.errors.UserError` (e.g.
:class:`UsageError`), whose message names the file or field and what to do.
It is printed as one line, ``error: <message>``, and the tool exits with
status 2; set the environment variable ``MMRIS_DEBUG=1`` to see the full
traceback instead.
"""
import argparse
import difflib
import os
import os.path as osp
import re
import shlex
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Sequence, Union

from mmengine.config import Config, DictAction

from .errors import UsageError, UserError
from .upstream_noise import quiet_upstream

#: Set to 1 to let user errors end in their full traceback.
DEBUG_VARIABLE = 'MMRIS_DEBUG'
#: The exit status of a tool that stopped on a user error.
USER_ERROR_STATUS = 2
#: Set by :mod:`mmris.utils.torchrun` for its ranks: a folder where
#: :func:`run_cli` leaves a rank's user error (file ``rank<N>``) instead of
#: printing it, for the launcher to print once.
RANK_ERRORS_VARIABLE = 'MMRIS_RANK_ERRORS'
#: ``KEY=VALUE ...`` merged into every config a tool loads, after its
#: ``--cfg-options`` (e.g. short runs in CI: ``train_cfg.max_iters=4``).
CFG_OPTIONS_VARIABLE = 'MMRIS_CFG_OPTIONS'


def add_cfg_options_argument(parser: argparse.ArgumentParser,
                             example: str = 'train_cfg.max_iters=100 train_dataloader.batch_size=4'
                             ) -> None:
    """``--cfg-options KEY=VALUE ...`` (read by :func:`load_config`), with
    ``example`` in its help."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help=f'override config entries, e.g. {example}; lists as a=[1,2]; '
                        f'keys must exist in the config, +KEY=VALUE adds a new one')


def synthetic_set_parser(
        doc: str, out: str, size: int,
        size_help: str = 'longest image side in pixels; sides vary from 5/8 of it up to it'
) -> argparse.ArgumentParser:
    """The options every synthetic-set writer of ``tools/dataset_converters``
    shares: ``--out`` (default ``out``), ``--overwrite``, ``--size``
    (default ``size``) and ``--seed``, checked by
    :func:`check_synthetic_set_options`; the description is the first line
    of the tool's ``doc``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0],
                                     epilog='The same --seed always gives the same files.')
    parser.add_argument('--out', default=out, help='output folder (the data root)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the files of the same names in an --out that the '
                        'generators did not write (a real data root, say); without it such an '
                        '--out is refused. Their own earlier output is always rewritten')
    parser.add_argument('--size', type=int, default=size, help=size_help)
    parser.add_argument('--seed', type=int, default=0, help='random seed, at least 0')
    return parser


def check_synthetic_set_options(args: argparse.Namespace, least_size: int) -> None:
    """UsageError unless the options of :func:`synthetic_set_parser` can
    make a set: ``--size`` at least ``least_size``, ``--seed`` at least 0
    (numpy's generators take no negative seed), ``--out`` a folder that can
    be written to (created if needed)."""
    require_at_least('--size', args.size, least_size)
    require_at_least('--seed', args.seed, 0)
    require_writable_dir(args.out, '--out')


def print_split_counts(summary: dict, columns: Sequence[str]) -> None:
    """A table of ``summary`` ({split: {column: count}}), one row per split."""
    print()
    print(f'{"split":8}' + ''.join(f'{column:>{max(8, len(column) + 2)}}' for column in columns))
    for split, counts in summary.items():
        print(f'{split:8}' + ''.join(f'{counts[column]:{max(8, len(column) + 2)}d}'
                                     for column in columns))


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The options train.py and test.py share, as in mmseg's tools."""
    parser.add_argument('--work-dir', help='folder for logs, checkpoints and metrics '
                        '(default: work_dirs/<config name>)')
    add_cfg_options_argument(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--preflight-only', action='store_true',
                        help='check the config, the options and the files the run needs '
                        '(data, weights, checkpoint, work dir), then stop: exit status 0 when '
                        'all is in place, 2 with one error line per problem otherwise; '
                        'the dist_*/slurm_* launchers run it once before starting the ranks')


def prepare_runner_config(args: argparse.Namespace) -> Config:
    """Load ``args.config`` with ``args.cfg_options`` and set what every tool
    sets: launcher, work dir, and ``mmris.Runner`` unless the config names a
    runner."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    require_writable_dir(cfg.work_dir, '--work-dir' if args.work_dir else 'the work dir')
    cfg.setdefault('runner_type', 'mmris.Runner')
    return cfg


def environment_cfg_options() -> dict:
    """The options of the environment variable ``MMRIS_CFG_OPTIONS``,
    written as on the command line (shell quoting allowed)."""
    text = os.environ.get(CFG_OPTIONS_VARIABLE, '')
    if not text.strip():
        return {}
    parser = argparse.ArgumentParser(add_help=False)
    add_cfg_options_argument(parser)
    try:
        return parser.parse_args(['--cfg-options', *shlex.split(text)]).cfg_options
    except (ValueError, SystemExit):
        raise UsageError(f'{CFG_OPTIONS_VARIABLE}={text!r} is not a list of KEY=VALUE; '
                         f'write it as --cfg-options takes it, e.g. '
                         f"'train_cfg.max_iters=4 train_cfg.val_interval=4'") from None


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file and merge ``--cfg-options`` into it, then the
    options of the environment variable ``MMRIS_CFG_OPTIONS``.

    Every ``--cfg-options`` key must name an existing entry (list items by
    index): a new key is a misspelling more often than not (``trian_cfg``),
    so it is refused with the closest existing names. A key written
    ``+KEY`` is added on purpose, e.g. ``+randomness.seed=1``.

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
    options = {}
    for key, value in {**(cfg_options or {}), **environment_cfg_options()}.items():
        if key.startswith('+'):
            key = key[1:]
        else:
            _check_option_key(cfg, key)
        options[key] = value
    if options:
        cfg.merge_from_dict(options)
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
                close = difflib.get_close_matches(part, [str(k) for k in node], n=3)
                hint = f'did you mean {" or ".join(repr(c) for c in close)}?' if close else \
                    f'it has {", ".join(repr(str(k)) for k in node)}.'
                owner = f'{".".join(walked)!r}' if walked else 'the config'
                raise UsageError(f'bad --cfg-options key {key!r}: {owner} has no {part!r}; '
                                 f'{hint} Fix the key, or write +{key}=... to add it on purpose.')
            node = node[part]
        else:
            raise UsageError(f'bad --cfg-options key {key!r}: {".".join(walked)!r} is the '
                             f'value {node!r}, which has no field {part!r}')
        walked.append(part)


def _blocking_file(path: str):
    """The nearest existing ancestor of ``path`` (or ``path``) if it is a
    file rather than a folder, else None."""
    while path and not osp.exists(path):
        path = osp.dirname(path)
    return path if path and not osp.isdir(path) else None


def require_writable_dir(path: str, flag: str) -> None:
    """Create folder ``path`` (given by ``flag``) if needed and check that a
    file can be written in it; UsageError naming it otherwise."""
    blocker = _blocking_file(path)
    if blocker:
        raise UsageError(f'{flag} {path!r} cannot be a folder: {blocker!r} is a file; pick a '
                         f'folder you can write to')
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise UsageError(f'{flag} {path!r} is not a writable folder ({error.strerror or error}); '
                         f'pick a folder you can write to') from None


def require_writable_file(path: str, flag: str) -> None:
    """Check that file ``path`` (given by ``flag``) can be written: its
    folder is created if needed and must be writable, and ``path`` must not
    be a folder; UsageError naming it otherwise."""
    if osp.isdir(path):
        raise UsageError(f'{flag} {path!r} is a folder; pass a file name')
    folder = osp.dirname(path) or '.'
    blocker = _blocking_file(folder)
    if blocker:
        raise UsageError(f'{flag} {path!r} cannot be written: {blocker!r} is a file, not a '
                         f'folder; pick a path in a folder you can write to')
    require_writable_dir(folder, f'the folder of {flag} {path!r},')


def require_config_keys(cfg: Config, path: str, keys: Sequence[str]) -> None:
    """Raise UsageError naming the config ``path`` and the first of ``keys``
    it lacks (e.g. a tool that needs ``test_evaluator``)."""
    for key in keys:
        if cfg.get(key) is None:
            raise UsageError(f'config {path!r} has no {key}; this tool needs '
                             f'{", ".join(keys)}')


def require_at_least(flag: str, value: int, least: int, why: str = '') -> None:
    """Raise UsageError if option ``flag`` got ``value`` below ``least``;
    ``why``, e.g. ``' (one image per split)'``, follows the bound."""
    if value < least:
        raise UsageError(f'{flag} must be at least {least}{why}, got {value}')


def require_checkpoint(path: str, flag: str) -> None:
    """Raise UsageError if the local checkpoint ``path`` given by ``flag`` is
    missing, or is not a file that torch or safetensors could read: torch's
    zip archive (``torch.save``; a truncated one lacks its directory), its
    legacy pickle, or a ``.safetensors`` file. Loading checks the rest."""
    if '://' in path:
        return
    if path.endswith('.onnx'):
        raise UsageError(f'{flag} {path!r} is an exported ONNX network, not a PyTorch checkpoint; '
                         f'run it with ONNX Runtime (image_demo.py --backend onnxruntime, '
                         f'tools/test.py CONFIG FILE.onnx, benchmark.py --onnx)')
    if not osp.isfile(path):
        raise UsageError(f'checkpoint {path!r} ({flag}) does not exist; pass the path of a '
                         f'.pth file written by tools/train.py, e.g. '
                         f'work_dirs/<config name>/iter_<N>.pth')
    with open(path, 'rb') as f:
        head = f.read(1)
    if not (path.endswith('.safetensors') or zipfile.is_zipfile(path) or head == b'\x80'):
        raise UsageError(f'checkpoint {path!r} ({flag}) could not be read: it is truncated, '
                         f'damaged or not a PyTorch checkpoint; copy or download it again, or '
                         f'pick another one')


_REFUSED_ARGUMENT = re.compile(r"(?:(\w+)\.)?__init__\(\) got an unexpected keyword argument "
                               r"'(\w+)'")


_UNREGISTERED = re.compile(r"(\S+) is not in the (\S+) registry")


def _registered_names_like(name: str, registry: str) -> list:
    """Up to 3 names of the mmris registry ``registry`` (``'mmris::model'``)
    and its parents close to ``name``."""
    from mmengine.registry import Registry

    from mmris import registry as registries
    scope, _, kind = registry.partition('::')
    for node in vars(registries).values():
        if isinstance(node, Registry) and node.scope == scope and node.name == kind:
            node.import_from_location()
            names = set()
            while node is not None:
                names.update(node.module_dict)
                node = node.parent
            return difflib.get_close_matches(name.split('.')[-1], sorted(names), n=3)
    return []


_ANY = object()


def _keys_of(node, key: str, name: str, found: list, value=_ANY) -> list:
    """Config keys (dotted) of ``name`` in dicts under ``node`` (those
    holding ``value`` only, when it is given)."""
    if isinstance(node, dict):
        for child, item in node.items():
            path = f'{key}.{child}' if key else str(child)
            if child == name and (value is _ANY or item == value):
                found.append(path)
            _keys_of(item, path, name, found, value)
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            _keys_of(item, f'{key}.{index}', name, found, value)
    return found


@contextmanager
def config_arguments_checked(cfg: Config) -> Iterator[None]:
    """Turn a component's refusal of an argument that the config gives it
    (mmengine's build raising ``TypeError: class `X` in ...: __init__() got
    an unexpected keyword argument 'y'``, e.g. from
    ``+model.backbone.vision_encoder.channels_last=True`` on a ViT), and a
    ``type`` that no registry holds (mmengine's ``KeyError: 'X is not in the
    mmris::model registry ...'``, e.g. a misspelt ``model.neck.type``), into
    a UsageError naming the key. Components are built when the runner is
    and when it starts (data sets, loops, hooks): wrap both. An error about
    anything the config does not hold stays a bug."""
    try:
        yield
    except KeyError as error:
        message = error.args[0] if error.args and isinstance(error.args[0], str) else ''
        match = _UNREGISTERED.match(message)
        keys = _keys_of(dict(cfg.items()), '', 'type', [], match.group(1)) if match else []
        if not keys:
            raise
        close = _registered_names_like(match.group(1), match.group(2))
        hint = f' (close names: {", ".join(close)})' if close else ''
        raise UsageError(f'type {match.group(1)!r} ({" or ".join(keys)}) is not in the '
                         f'{match.group(2)} registry{hint}; check its spelling, and its scope '
                         f'for another toolbox\'s component (mmseg.X, mmdet.X)') from error
    except TypeError as error:
        match = _REFUSED_ARGUMENT.search(str(error))
        keys = _keys_of(dict(cfg.items()), '', match.group(2), []) if match else []
        if not keys:
            raise
        classes = re.findall(r'class `(\w+)`', str(error))
        component = match.group(1) or (classes[-1] if classes else 'a component')
        raise UsageError(f'{component} takes no argument {match.group(2)!r}, which the config '
                         f'gives it ({" or ".join(keys)}); remove it or check its name and '
                         f'place') from error


def one_line(error: Union[BaseException, str]) -> str:
    """The message of ``error`` (an exception or its text) as one line. An
    error re-raised from a DataLoader worker carries the worker's traceback
    in its message; its last line holds the original message."""
    message = str(error)
    if 'Original Traceback' in message:
        last = message.strip().splitlines()[-1]
        message = last.split(': ', 1)[1] if ': ' in last else last
    return ' '.join(message.split())


def process_rank() -> int:
    """This process's rank in a multi-process run (torchrun's ``RANK``,
    slurm's ``SLURM_PROCID``), 0 in a single-process one."""
    return int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0')))


def run_cli(main: Callable[[], None]) -> None:
    """Run a tool's ``main``; a :class:`UserError` ends it with one line,
    ``error: <message>`` (one per problem where it lists several), and exit
    status 2 (its traceback with ``MMRIS_DEBUG=1``). The upstream warnings
    and notices of :mod:`mmris.utils.upstream_noise` are hidden.

    Under :mod:`mmris.utils.torchrun` (``tools/dist_*.sh``) each rank
    writes it to the launcher's folder (``MMRIS_RANK_ERRORS``) instead, and
    the launcher prints the one written first, whichever rank met it; a
    rank that then fails for another reason once another rank has written
    there (its peer is gone: ``Connection closed by peer``) exits with
    status 2 without its traceback, as the user error is the cause. In
    other multi-process runs (slurm) only rank 0 prints it."""
    quiet_upstream()
    folder = os.environ.get(RANK_ERRORS_VARIABLE)
    try:
        main()
    except UserError as error:
        if os.environ.get(DEBUG_VARIABLE, '') not in ('', '0'):
            raise
        text = ''.join(f'error: {one_line(line)}\n' for line in error.lines())
        if folder:
            with open(osp.join(folder, f'rank{process_rank()}'), 'w') as f:
                f.write(text)
        elif process_rank() == 0:
            print(text, end='', file=sys.stderr)
        sys.exit(USER_ERROR_STATUS)
    except Exception:
        if not (folder and osp.isdir(folder) and os.listdir(folder)):
            raise
        sys.exit(USER_ERROR_STATUS)

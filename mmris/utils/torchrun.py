"""torchrun, quiet about the errors that the tools already reported.

``python -m mmris.utils.torchrun [torchrun options] SCRIPT ...`` runs
``torch.distributed.run`` as ``torchrun`` does. When ranks fail, torchrun
logs each failed rank and ends with a ``ChildFailedError`` report (a
traceback and a table of the failed ranks) after whatever the ranks
printed. A tool wrapped in :func:`mmris.utils.run_cli` that stops on a user
error in one of the ranks writes its ``error:`` line to a folder this
launcher gives the ranks (``MMRIS_RANK_ERRORS``) and exits with status 2;
the other ranks then stop too. This launcher then prints the line written
first, once, after what the ranks printed, and exits with status 2 without
torchrun's log and report. Any other end keeps them: a crash, a bug.
"""
import logging
import os
import shutil
import sys
import tempfile
from typing import List

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.run import parse_args, run

from .cli import RANK_ERRORS_VARIABLE, USER_ERROR_STATUS

#: The logger of torchrun's agent, which logs the failed ranks.
ELASTIC_LOGGER = 'torch.distributed.elastic'


class _Held(logging.Handler):
    """Keeps the records it is given, to pass them on later or not at all."""

    def __init__(self):
        super().__init__()
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def first_user_error(folder: str) -> str:
    """The ``error:`` lines of the rank that wrote to ``folder`` first
    (``''`` if none did)."""
    written = sorted(os.scandir(folder), key=lambda entry: (entry.stat().st_mtime_ns, entry.name))
    if not written:
        return ''
    with open(written[0].path) as f:
        return f.read()


def main() -> None:
    logger = logging.getLogger(ELASTIC_LOGGER)
    held, propagate = _Held(), logger.propagate
    logger.addHandler(held)
    logger.propagate = False
    folder = os.environ[RANK_ERRORS_VARIABLE] = tempfile.mkdtemp(prefix='mmris-rank-errors-')
    user_error = ''
    try:
        run(parse_args(sys.argv[1:]))
    except ChildFailedError:
        user_error = first_user_error(folder)
        if not user_error:
            raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        logger.removeHandler(held)
        logger.propagate = propagate
        if not user_error:
            for record in held.records:
                logger.handle(record)
    if user_error:
        print(user_error, end='', file=sys.stderr)
        sys.exit(USER_ERROR_STATUS)


if __name__ == '__main__':
    main()

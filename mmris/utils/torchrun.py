"""torchrun, quiet about the errors that the tools already reported.

``python -m mmris.utils.torchrun [torchrun options] SCRIPT ...`` runs
``torch.distributed.run`` as ``torchrun`` does. When ranks fail, torchrun
logs each failed rank and ends with a ``ChildFailedError`` report (a
traceback and a table of the failed ranks) after whatever the ranks
printed. A tool wrapped in :func:`mmris.utils.run_cli` that stops on a user
error has already printed its one ``error:`` line (from rank 0) and exits
with status 2. When the first rank to fail exited so (the others may have
been stopped by torchrun since), this launcher exits with status 2 and adds
nothing. Any other end keeps torchrun's log and report: a crash, a bug.
"""
import logging
import sys
from typing import List

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.run import parse_args, run

#: The exit status of a tool that stopped on a user error (run_cli).
USER_ERROR_STATUS = 2
#: The logger of torchrun's agent, which logs the failed ranks.
ELASTIC_LOGGER = 'torch.distributed.elastic'


class _Held(logging.Handler):
    """Keeps the records it is given, to pass them on later or not at all."""

    def __init__(self):
        super().__init__()
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def main() -> None:
    logger = logging.getLogger(ELASTIC_LOGGER)
    held, propagate = _Held(), logger.propagate
    logger.addHandler(held)
    logger.propagate = False
    user_error = False
    try:
        run(parse_args(sys.argv[1:]))
    except ChildFailedError as error:
        _, first = error.get_first_failure()
        user_error = first.exitcode == USER_ERROR_STATUS
        if not user_error:
            raise
    finally:
        logger.removeHandler(held)
        logger.propagate = propagate
        if not user_error:
            for record in held.records:
                logger.handle(record)
    if user_error:
        sys.exit(USER_ERROR_STATUS)


if __name__ == '__main__':
    main()

"""torchrun, quiet about the errors that the tools already reported.

``python -m mmris.utils.torchrun [torchrun options] SCRIPT ...`` runs
``torch.distributed.run`` as ``torchrun`` does. When ranks fail, torchrun
ends with a ``ChildFailedError`` banner (a traceback and a table of the
failed ranks) after whatever the ranks printed. A tool wrapped in
:func:`mmris.utils.run_cli` that stops on a user error has already printed
its one ``error:`` line (from rank 0) and exits with status 2; when every
failed rank exited so, this launcher exits with status 2 and adds nothing.
Any other failure (a crash, a bug) keeps torchrun's banner.
"""
import sys

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.run import parse_args, run

#: The exit status of a tool that stopped on a user error (run_cli).
USER_ERROR_STATUS = 2


def main() -> None:
    try:
        run(parse_args(sys.argv[1:]))
    except ChildFailedError as error:
        if all(failure.exitcode == USER_ERROR_STATUS for failure in error.failures.values()):
            sys.exit(USER_ERROR_STATUS)
        raise


if __name__ == '__main__':
    main()

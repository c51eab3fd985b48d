"""Errors caused by what a user passed, as opposed to bugs.

Each message names the file, field or sample at fault and says what to do.
The command-line tools (:func:`mmris.utils.run_cli`) print such an error as
one line, ``error: <message>``, and exit with status 2; any other exception
is a bug and keeps its traceback. The classes also derive from the built-in
exception a caller would expect (``ValueError``, ``FileNotFoundError``, ...),
so library users can catch either.
"""
import pickle
from typing import List


class UserError(Exception):
    """A problem with the user's input, explained in its message."""

    def lines(self) -> List[str]:
        """What a tool prints for it: the message, or one line per problem
        where a subclass lists several (see ``MissingInputsError``)."""
        return [str(self)]


class UsageError(UserError):
    """A problem with a tool's arguments or options."""


class OutputExistsError(UsageError, FileExistsError):
    """An output folder that already holds files a tool would overwrite and
    that the tool did not write."""


class CheckpointError(UserError):
    """A checkpoint that cannot be used: unreadable, or not fitting the model."""


class MissingCheckpointError(CheckpointError, FileNotFoundError):
    """A checkpoint path that is not a file."""


class UnsafeCheckpointError(CheckpointError, pickle.UnpicklingError):
    """A checkpoint asked to rebuild an object outside the allow-list."""


class DatasetError(UserError, ValueError):
    """Annotations that cannot be read or do not fit together."""


class DatasetFileNotFoundError(DatasetError, FileNotFoundError):
    """A data root, annotation or split file that does not exist."""


class SampleLoadError(DatasetError, RuntimeError):
    """The image or mask of one sample could not be read or decoded."""


class ImageDecodeError(UserError, ValueError):
    """An input image that is empty or not in an image format."""


class PartsMismatchError(UserError, ValueError):
    """Two parts of a model config whose widths do not fit together."""


class ExportedNetworkError(UserError, ValueError):
    """An exported network file (ONNX) that cannot be loaded or run as one."""

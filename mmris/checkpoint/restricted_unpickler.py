"""Reading pickles without running the code they name.

``pickle.load`` calls whatever callable a file names, so a downloaded
pickle can run arbitrary code. :class:`RestrictedUnpickler` resolves only
the ``(module, name)`` globals it is given and refuses every other one
with an ``UnpicklingError`` naming it. mmris reads every pickle through it
or through torch's weights-only loader, with these allow-lists:

- none (:func:`load_plain_data`): lists, dicts, strings and numbers only,
  e.g. the refs files of the refer release;
- :data:`NUMPY_GLOBALS`: numpy arrays, dtypes and scalars, as a Runner
  checkpoint or a results dump holds them (also handed to
  ``torch.serialization.safe_globals`` by the checkpoint loader);
- :data:`TENSOR_GLOBALS`: tensors pickled by plain ``pickle`` (what
  mmengine's ``DumpResults`` writes); a tensor's storage bytes are loaded
  with ``torch.load(weights_only=True)``.
"""
import io
import pickle
from collections import OrderedDict
from typing import Any, Dict, Tuple

import numpy as np
import torch

Globals = Dict[Tuple[str, str], Any]


def _numpy_globals() -> Globals:
    allowed = {('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype}
    reconstruct = np.ndarray.__reduce__(np.zeros(0))[0]
    scalar = np.float64(0).__reduce__()[0]
    # numpy 2 pickles from numpy._core, numpy 1 from numpy.core: accept both names.
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(module, '_reconstruct')] = reconstruct
        allowed[(module, 'scalar')] = scalar
    for cls in vars(np.dtypes).values():
        if isinstance(cls, type):
            allowed[('numpy.dtypes', cls.__name__)] = cls
    return allowed


def _storage_from_bytes(data: bytes):
    """``torch.storage._load_from_bytes`` that only loads tensors/storages."""
    return torch.load(io.BytesIO(data), weights_only=True)


#: numpy arrays, dtypes and scalars.
NUMPY_GLOBALS: Globals = _numpy_globals()

#: Tensors as plain ``pickle`` writes them, plus what pickle protocol 2 needs.
TENSOR_GLOBALS: Globals = {
    ('torch._utils', '_rebuild_tensor_v2'): torch._utils._rebuild_tensor_v2,
    ('torch.storage', '_load_from_bytes'): _storage_from_bytes,
    ('torch', 'Size'): torch.Size,
    ('collections', 'OrderedDict'): OrderedDict,  # a tensor's empty hook dict
    ('_codecs', 'encode'): __import__('_codecs').encode,  # bytes in protocol 2
    # protocol 2 names the builtins module by its Python 2 name
    ('__builtin__', 'set'): set,
    ('__builtin__', 'frozenset'): frozenset,
    ('builtins', 'set'): set,
    ('builtins', 'frozenset'): frozenset,
}


class RefusedGlobalError(pickle.UnpicklingError):
    """A pickle that names a global outside the allowed ones."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals in ``allowed``.

    Args:
        file: A binary file object.
        allowed (dict): ``{(module, name): object}``.
        what (str): What the file is, for the error message (e.g.
            'a refs file').
    """

    def __init__(self, file, allowed: Globals, what: str):
        super().__init__(file)
        self.allowed = allowed
        self.what = what

    def find_class(self, module: str, name: str):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise RefusedGlobalError(
                f'{self.what} may not name {module}.{name}; refusing to load it, as '
                f'unpickling it could run code') from None


def load_plain_data(file, what: str):
    """The lists, dicts, strings and numbers pickled in the binary ``file``."""
    return RestrictedUnpickler(file, {}, what).load()


def load_with_tensors(file, what: str):
    """The containers, numbers, strings, numpy arrays and tensors pickled in
    the binary ``file``."""
    return RestrictedUnpickler(file, {**NUMPY_GLOBALS, **TENSOR_GLOBALS}, what).load()

"""A checkpoint's runner state as plain data, which ``weights_only`` loads.

mmengine's Runner writes its message hub as it is in memory: mmengine
``HistoryBuffer`` objects (the logged losses and learning rates) and, in
places, numpy arrays and scalars. ``torch.load(path, weights_only=True)``,
which mmseg's ``init_model``, mmdet's ``init_detector`` and their
``tools/test.py`` use on torch >= 2.6, refuses such a file. :func:`to_plain`
writes each such object as a tagged dict of tensors, numbers and strings
(``{'__mmris_plain__': 'HistoryBuffer', ...}``) and :func:`from_plain`
rebuilds the very objects on resume, so a resumed run is exact: a history
buffer's float64 values and counts come back bit for bit, a numpy array
with its dtype. Every other value (tensors, numbers, strings, containers)
is left as it is.
"""
from typing import Any, Optional

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

#: Key of the tagged dicts that stand for a non-plain object.
TAG = '__mmris_plain__'


def _array_data(array: np.ndarray):
    """A tensor of ``array`` when torch has its dtype, else its nested list."""
    try:
        return torch.from_numpy(np.ascontiguousarray(array)).clone()
    except TypeError:
        return array.tolist()


def to_plain(value: Any) -> Any:
    """``value`` with every HistoryBuffer, numpy array and numpy scalar in it
    replaced by a tagged dict of plain data; containers are rebuilt with
    their own type (dict, OrderedDict, list, tuple)."""
    if isinstance(value, HistoryBuffer):
        log_history, count_history = value.data
        return {TAG: 'HistoryBuffer', 'log_history': _array_data(log_history),
                'count_history': _array_data(count_history), 'max_length': value.max_length}
    if isinstance(value, np.ndarray):
        return {TAG: 'ndarray', 'dtype': value.dtype.str, 'shape': list(value.shape),
                'data': _array_data(value)}
    if isinstance(value, np.generic):
        return {TAG: 'numpy_scalar', 'dtype': value.dtype.str, 'value': value.item()}
    if isinstance(value, dict):
        return type(value)((key, to_plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(to_plain(item) for item in value)
    return value


def _numpy(data, dtype: Optional[str] = None) -> np.ndarray:
    """The numpy array of ``data`` (a tensor or a nested list)."""
    array = data.numpy() if isinstance(data, torch.Tensor) else np.array(data)
    return array if dtype is None else array.astype(np.dtype(dtype), copy=False)


def from_plain(value: Any) -> Any:
    """The inverse of :func:`to_plain`: tagged dicts become the objects they
    stand for again; anything else is returned as it is."""
    if isinstance(value, dict) and value.get(TAG) == 'HistoryBuffer':
        return HistoryBuffer(_numpy(value['log_history']), _numpy(value['count_history']),
                             value['max_length'])
    if isinstance(value, dict) and value.get(TAG) == 'ndarray':
        return _numpy(value['data'], value['dtype']).reshape(value['shape'])
    if isinstance(value, dict) and value.get(TAG) == 'numpy_scalar':
        return np.dtype(value['dtype']).type(value['value'])
    if isinstance(value, dict):
        return type(value)((key, from_plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(from_plain(item) for item in value)
    return value

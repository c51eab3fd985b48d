"""Runner state written as plain data loads with weights_only=True and comes
back as the very objects mmengine wrote."""
from collections import OrderedDict

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmris.checkpoint.plain_state import from_plain, to_plain


def _message_hub_state():
    buffer = HistoryBuffer(max_length=3)
    for value, count in ((0.1, 1), (1 / 3, 2), (2.5e-7, 1), (7.0, 4)):  # one falls out
        buffer.update(value, count)
    return dict(log_scalars=OrderedDict([('train/loss', buffer)]),
                runtime_info=OrderedDict(iter=4, eta=np.float64(1.5), arr=np.arange(6).reshape(2, 3),
                                         names=np.array(['a', 'bc'])),
                resumed_keys=OrderedDict([('train/loss', True), ('iter', True)]))


def test_written_state_loads_weights_only_without_an_allow_list(tmp_path):
    path = tmp_path / 'state.pth'
    torch.save({'message_hub': to_plain(_message_hub_state())}, path)
    torch.load(path, weights_only=True)


def test_state_comes_back_exactly(tmp_path):
    original = _message_hub_state()
    path = tmp_path / 'state.pth'
    torch.save(to_plain(original), path)
    restored = from_plain(torch.load(path, weights_only=True))
    buffer, reference = restored['log_scalars']['train/loss'], original['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.max_length == 3
    for got, expected in zip(buffer.data, reference.data, strict=True):
        assert got.dtype == expected.dtype and got.tolist() == expected.tolist()
    assert buffer.data[0].tolist() == [1 / 3, 2.5e-7, 7.0]  # the last three, bit for bit
    assert buffer.mean() == reference.mean()
    info = restored['runtime_info']
    assert type(info['eta']) is np.float64 and info['eta'] == 1.5
    assert info['arr'].dtype == np.arange(1).dtype and info['arr'].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert info['names'].tolist() == ['a', 'bc'] and info['names'].dtype == np.dtype('<U2')
    assert restored['resumed_keys'] == original['resumed_keys']
    assert type(restored['log_scalars']) is OrderedDict

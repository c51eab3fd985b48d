"""Runner checkpoints load with weights_only=True; pickled code never runs."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from mmris.engine import UnsafeCheckpointError, safe_load


class _RunsCommand:
    """Pickles as a call of os.system: what a malicious checkpoint does."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


class _Getattr:
    """Pickles as a call of builtins.getattr(owner, name)."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __reduce__(self):
        return getattr, (self.owner, self.name)


def _runner_like_checkpoint():
    """What mmengine's Runner saves: tensors plus numpy and HistoryBuffer state."""
    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(0.25)
    return dict(
        meta=dict(epoch=0, iter=4, seed=np.int64(7), mmengine_version='0.10.7'),
        state_dict={'layer.weight': torch.ones(2, 2)},
        message_hub=dict(log_scalars={'train/loss': buffer},
                         runtime_info={'eta': np.float64(1.5), 'arr': np.arange(3)}))


def test_runner_checkpoint_loads_through_mmengine(tmp_path):
    path = tmp_path / 'iter_4.pth'
    torch.save(_runner_like_checkpoint(), path)
    checkpoint = _load_checkpoint(str(path), map_location='cpu')
    assert checkpoint['meta']['iter'] == 4
    assert checkpoint['meta']['seed'] == 7
    assert torch.equal(checkpoint['state_dict']['layer.weight'], torch.ones(2, 2))
    buffer = checkpoint['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(0.375)
    assert checkpoint['message_hub']['runtime_info']['arr'].tolist() == [0, 1, 2]


def test_runner_checkpoint_loads_in_a_fresh_process(tmp_path):
    # No HistoryBuffer exists there yet, so none of its methods is registered.
    path = tmp_path / 'iter_4.pth'
    torch.save(_runner_like_checkpoint(), path)
    code = ('from mmris.engine import safe_load; '
            f'print(safe_load({str(path)!r})["message_hub"]["log_scalars"]["train/loss"].mean())')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '0.375'


def test_malicious_pickle_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'foreign.pth'
    torch.save({'state_dict': {}, 'meta': _RunsCommand(f'touch {marker}')}, path)
    with pytest.raises(UnsafeCheckpointError) as error:
        _load_checkpoint(str(path))
    assert not marker.exists()
    message = str(error.value)
    assert str(path) in message and 'system' in message
    assert 'weights_only=False' not in message  # no advice to switch safety off


@pytest.mark.parametrize('owner,name', [
    (HistoryBuffer, '__init__'),  # anything but its statistics methods
    (HistoryBuffer, 'register_statistics'),
    (HistoryBuffer, '_statistics_methods'),
    (np.ndarray, 'tofile'),  # any other owner
])
def test_getattr_resolves_only_history_buffer_methods(tmp_path, owner, name):
    path = tmp_path / 'getattr.pth'
    torch.save({'meta': _Getattr(owner, name)}, path)
    with pytest.raises(UnsafeCheckpointError):
        safe_load(str(path))


def test_allow_list_is_scoped_to_the_load(tmp_path):
    path = tmp_path / 'iter_4.pth'
    torch.save(_runner_like_checkpoint(), path)
    before = set(map(str, torch.serialization.get_safe_globals()))
    safe_load(str(path))
    assert set(map(str, torch.serialization.get_safe_globals())) == before


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        safe_load(str(tmp_path / 'nothing.pth'))

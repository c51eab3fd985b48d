"""Runner checkpoints load with weights_only=True; pickled code never runs;
damaged files are named; importing mmris leaves mmengine's loaders alone."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import CheckpointLoader

from mmris.engine import UnsafeCheckpointError, safe_checkpoint_loading, safe_load
from mmris.utils import CheckpointError


def _load_checkpoint(path, map_location=None):
    """What mmengine's Runner and load_checkpoint do, within mmris' scope."""
    with safe_checkpoint_loading():
        return CheckpointLoader.load_checkpoint(path, map_location=map_location)


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


def test_import_leaves_mmengine_loading_alone_and_the_scope_restores_it():
    code = ('from mmengine.runner import CheckpointLoader; '
            'before = dict(CheckpointLoader._schemes); '
            'import mmris, mmris.apis, mmris.engine, mmris.datasets, mmris.models; '
            'assert dict(CheckpointLoader._schemes) == before, "import changed the loaders"; '
            'from mmris.engine import safe_checkpoint_loading; '
            'inside = [None]\n'
            'with safe_checkpoint_loading():\n'
            '    with safe_checkpoint_loading():\n'
            '        inside[0] = CheckpointLoader._schemes[""]\n'
            'assert inside[0].__module__ == "mmris.checkpoint.loader"\n'
            'assert dict(CheckpointLoader._schemes) == before, "the scope did not restore them"\n'
            'print("ok")')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'


def _damaged(tmp_path):
    torch.save({'state_dict': {'w': torch.ones(1000)}}, tmp_path / 'good.pth')
    data = (tmp_path / 'good.pth').read_bytes()
    torch.save({'state_dict': {'w': torch.ones(10)}}, tmp_path / 'legacy.pth',
               _use_new_zipfile_serialization=False)
    legacy = (tmp_path / 'legacy.pth').read_bytes()
    return {
        'truncated.pth': data[:len(data) // 2],
        'empty.pth': b'',
        'text.pth': b'not a checkpoint at all',
        'noise.pth': bytes(range(256)) * 3,
        'truncated_legacy.pth': legacy[:-20],
    }


def test_damaged_files_raise_a_checkpoint_error_naming_them(tmp_path):
    for name, data in _damaged(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CheckpointError) as error:
            safe_load(str(path))
        assert not isinstance(error.value, UnsafeCheckpointError), name
        assert f"checkpoint '{path}' could not be read" in str(error.value), name
        assert 'truncated, damaged or not a PyTorch checkpoint' in str(error.value)

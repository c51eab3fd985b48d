"""Checkpoints in the safetensors format, through mmris' checkpoint loading."""
import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint, load_checkpoint
from safetensors.torch import save_file

from mmris.checkpoint.safetensors_file import load_safetensors, save_safetensors
from mmris.engine import safe_load


def test_load_from_reads_a_safetensors_file(tmp_path):
    """mmengine's loader (what ``load_from`` and ``load_checkpoint`` call)."""
    torch.manual_seed(0)
    source, target = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    path = tmp_path / 'model.safetensors'
    save_file(source.state_dict(), str(path))
    load_checkpoint(target, str(path), map_location='cpu', strict=True)
    assert all(torch.equal(target.state_dict()[k], v) for k, v in source.state_dict().items())
    assert set(_load_checkpoint(str(path))) == {'weight', 'bias'}


def test_round_trip_with_metadata(tmp_path):
    state = {'a': torch.arange(6.).reshape(2, 3).t(), 'b': torch.ones(2, dtype=torch.int64)}
    path = str(tmp_path / 'x.safetensors')
    save_safetensors(state, path, metadata={'note': 'hello'})
    loaded = safe_load(path, map_location='cpu')
    assert set(loaded) == {'a', 'b'}
    assert torch.equal(loaded['a'], state['a']) and loaded['b'].dtype == torch.int64
    from safetensors import safe_open
    with safe_open(path, framework='pt') as f:
        assert f.metadata() == {'note': 'hello'}


def test_not_a_safetensors_file_is_named(tmp_path):
    path = tmp_path / 'broken.safetensors'
    path.write_bytes(b'not a safetensors file')
    with pytest.raises(ValueError, match='broken.safetensors.*not a valid safetensors file'):
        load_safetensors(str(path))
    with pytest.raises(FileNotFoundError, match='missing.safetensors'):
        safe_load(str(tmp_path / 'missing.safetensors'))

"""Which precision runs where, and the autocast it means."""
import pytest
import torch

from mmris.utils import precision as precision_module
from mmris.utils.precision import autocast, resolve_precision


def test_fp32_and_supported_bf16_are_kept(monkeypatch):
    monkeypatch.setattr(precision_module, 'cpu_supports_bf16', lambda: True)
    assert resolve_precision('fp32', 'cpu') == 'fp32'
    assert resolve_precision('bf16', 'cpu') == 'bf16'


def test_bf16_without_native_support_runs_fp32_with_a_notice(monkeypatch):
    notices = []
    monkeypatch.setattr(precision_module, 'cpu_supports_bf16', lambda: False)
    monkeypatch.setattr(precision_module, 'print_log', lambda message, **_: notices.append(message))
    assert resolve_precision('bf16', 'cpu') == 'fp32'
    assert len(notices) == 1 and '\n' not in notices[0]
    assert 'bf16 was asked for' in notices[0] and 'running in fp32' in notices[0]


def test_bad_precisions_are_refused():
    with pytest.raises(ValueError, match="needs a CUDA device"):
        resolve_precision('fp16', 'cpu')
    with pytest.raises(ValueError, match='choose one of fp32, bf16, fp16'):
        resolve_precision('int8', 'cpu')


def test_autocast_dtypes():
    layer = torch.nn.Linear(4, 4)
    x = torch.randn(2, 4)
    with autocast('fp32', 'cpu'):
        assert layer(x).dtype == torch.float32
    with autocast('bf16', 'cpu'):
        assert layer(x).dtype == torch.bfloat16
    assert layer(x).dtype == torch.float32

"""AutocastOptimWrapper: bf16 forward, fp32 parameters and gradients, no scaler."""
import pytest
import torch

from mmris.engine import AutocastOptimWrapper
from mmris.registry import OPTIM_WRAPPERS


def test_forward_autocasts_and_the_update_stays_fp32():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='mmris.AutocastOptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(wrapper, AutocastOptimWrapper) and wrapper.cast_dtype == torch.bfloat16
    x = torch.randn(4, 8)
    before = [p.detach().clone() for p in model.parameters()]
    expected = model(x).detach()
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float().detach(), expected, rtol=0.02, atol=0.02)
    loss = out.float().square().mean()
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    assert all(g.dtype == torch.float32 for g in grads)
    wrapper.step()
    for param, old, grad in zip(model.parameters(), before, grads, strict=True):
        assert param.dtype == torch.float32
        torch.testing.assert_close(param.detach(), old - 0.1 * grad)  # plain SGD, unscaled


def test_unknown_dtype_is_refused():
    with pytest.raises(ValueError, match='choose bfloat16 or float16'):
        AutocastOptimWrapper(dtype='int8', optimizer=torch.optim.SGD(
            torch.nn.Linear(2, 2).parameters(), lr=0.1))

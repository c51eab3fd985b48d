"""mmris.benchmark.operator_profile: the operators of a step, by own time."""
import pytest
import torch

from mmris.benchmark import profile_operators


def test_operators_are_counted_per_step_and_ranked_by_own_time():
    # A step of two 256x256 matrix products and one exponential of a small
    # tensor: per step, aten::mm is called twice and aten::exp once, and the
    # products take longer than the exponential.
    a, b = torch.randn(256, 256), torch.randn(256, 256)
    small = torch.randn(16)

    def step():
        torch.mm(torch.mm(a, b), b)
        torch.exp(small)

    step()
    entries = profile_operators(step, steps=3)
    by_name = {entry['name']: entry for entry in entries}
    assert by_name['aten::mm']['calls'] == 2
    assert by_name['aten::exp']['calls'] == 1
    assert by_name['aten::mm']['self_ms'] > by_name['aten::exp']['self_ms'] > 0
    own_times = [entry['self_ms'] for entry in entries]
    assert own_times == sorted(own_times, reverse=True)
    assert 0 < sum(entry['share'] for entry in entries) <= 1 + 1e-9
    mm, exp = by_name['aten::mm'], by_name['aten::exp']
    assert mm['share'] / exp['share'] == pytest.approx(mm['self_ms'] / exp['self_ms'])


def test_top_keeps_the_largest():
    # A product about a thousand times the work of the other two operators,
    # so that the ranking holds on a busy machine.
    a, small = torch.randn(512, 512), torch.randn(16)

    def step():
        torch.mm(a, a)
        torch.relu(small)
        torch.exp(small)

    step()
    everything = profile_operators(step, top=100)
    assert len(everything) >= 3
    assert profile_operators(step, top=1)[0]['name'] == 'aten::mm' == everything[0]['name']

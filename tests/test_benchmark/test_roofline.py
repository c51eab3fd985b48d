"""mmris.benchmark.roofline: FLOPs of a step against hand counts, and the
figures derived from them."""
import pytest
import torch
import torch.nn.functional as F

from mmris.benchmark import count_flops, matmul_rate, roofline_figures


def test_cpu_attention_forward_and_backward_are_counted():
    # (B, heads, L, E) queries against S keys: Q K^T and P V are 2 B H L S E
    # each forward; backward computes dV, dP, dQ and dK, 2 B H L S E each,
    # after recomputing Q K^T (the CPU's flash kernel keeps no scores).
    batch, heads, length, source, width = 2, 3, 5, 7, 4
    query = torch.randn(batch, heads, length, width, requires_grad=True)
    key, value = (torch.randn(batch, heads, source, width, requires_grad=True) for _ in range(2))
    unit = 2 * batch * heads * length * source * width

    def forward():
        return F.scaled_dot_product_attention(query, key, value)

    assert count_flops(forward) == 2 * unit
    assert count_flops(lambda: forward().sum().backward()) == (2 + 1 + 4) * unit


def test_linear_layer_forward_and_backward_are_counted():
    # y = x W^T: 2 N in out forward; dx and dW cost as much each.
    layer = torch.nn.Linear(6, 5, bias=False)
    inputs = torch.randn(4, 6, requires_grad=True)
    assert count_flops(lambda: layer(inputs)) == 2 * 4 * 6 * 5
    assert count_flops(lambda: layer(inputs).sum().backward()) == 3 * 2 * 4 * 6 * 5


def test_a_compiled_step_is_counted_as_its_code_without_compiling():
    # torch.compile with a backend that records each graph it is handed:
    # counting runs the uncompiled code (no graph), and finds the products
    # the compiled function computes.
    graphs = []

    def recording_backend(graph_module, example_inputs):
        graphs.append(graph_module)
        return graph_module.forward

    layer = torch.nn.Linear(6, 5, bias=False)
    compiled = torch.compile(layer.forward, backend=recording_backend)
    inputs = torch.randn(4, 6)
    assert count_flops(lambda: compiled(inputs)) == 2 * 4 * 6 * 5
    assert graphs == []
    torch.testing.assert_close(compiled(inputs), layer(inputs))
    assert len(graphs) == 1
    assert count_flops(lambda: compiled(inputs)) == 2 * 4 * 6 * 5
    assert len(graphs) == 1


def test_figures_against_the_matmul_rate():
    # 2 GFLOP in 10 ms is 200 GFLOP/s, half of a 400 GFLOP/s matmul rate,
    # which would take 5 ms.
    figures = roofline_figures(2e9, 10.0, 400.0)
    assert figures['achieved_gflops'] == pytest.approx(200.0)
    assert figures['fraction'] == pytest.approx(0.5)
    assert figures['latency_at_matmul_rate_ms'] == pytest.approx(5.0)
    assert (figures['flops'], figures['matmul_gflops']) == (2e9, 400.0)


@pytest.mark.parametrize('precision', ['fp32', 'bf16'])
def test_matmul_rate_is_a_positive_rate(precision):
    rate = matmul_rate(precision, size=256, repeat=2)
    assert 0 < rate < float('inf')

"""Attention fused by oneDNN Graph for bf16 CPU inference: the same
attention as fp32 to bf16 accuracy, used only where it applies, fused where
the CPU has bf16, called as one operator inside torch.compile, and a
model's outputs as close to fp32 with it as without."""
import pytest
import torch
import torch.nn.functional as F
from mmris_fixtures.compiling import recording_backend
from torch.utils.flop_counter import FlopCounterMode

from mmris.apis import init_model
from mmris.benchmark import make_inputs
from mmris.models.layers import onednn_attention
from mmris.models.layers.attention import scaled_dot_product
from mmris.models.layers.onednn_attention import (
    fused_attention,
    fused_attention_applies,
    use_fused_attention,
)
from mmris.utils import load_config
from mmris.utils.precision import cpu_supports_bf16

DEMO_CONFIG = 'configs/demo/etris_tiny_synthetic_refcoco.py'


def _heads(batch, heads, length, width, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, heads, length, width, generator=generator).bfloat16()


@pytest.mark.parametrize('query_length,key_length', [(50, 50), (37, 11)])
def test_same_attention_as_fp32_to_bf16_accuracy(query_length, key_length):
    query = _heads(2, 4, query_length, 16, 0)
    key, value = _heads(2, 4, key_length, 16, 1), _heads(2, 4, key_length, 16, 2)
    expected = F.scaled_dot_product_attention(query.float(), key.float(), value.float())
    flash_error = (F.scaled_dot_product_attention(query, key, value).float()
                   - expected).abs().max()
    with torch.no_grad():
        # Repeated calls: each is as close to fp32.
        for _ in range(4):
            out = fused_attention(query, key, value)
            assert out.dtype == torch.bfloat16 and out.shape == query.shape
            # bf16 keeps 8 significant bits: outputs of size ~1 are within
            # a few 2^-8 of fp32.
            assert (out.float() - expected).abs().max() < max(4 * flash_error, 0.03)


@pytest.mark.skipif(not cpu_supports_bf16(), reason='oneDNN Graph fuses bf16 attention '
                    'where the CPU has native bf16 (AVX512-BF16 or AMX)')
def test_attention_is_fused_into_one_onednn_partition():
    query, key, value = (_heads(1, 4, 40, 16, seed) for seed in range(3))
    with torch.no_grad():
        for _ in range(4):
            fused_attention(query, key, value)
        graph = str(torch.jit.last_executed_optimized_graph())
    assert 'oneDNNFusionGroup' in graph
    # The global fusion flag is left as it was.
    assert not torch.jit.onednn_fusion_enabled()


@pytest.mark.skipif(not cpu_supports_bf16(), reason='oneDNN Graph fuses bf16 attention '
                    'where the CPU has native bf16 (AVX512-BF16 or AMX)')
def test_the_first_call_of_a_new_shape_gives_what_later_calls_give():
    # A shape no other test uses, so that its function is new here: an
    # image's mask must not depend on whether it was the first one run.
    query, key, value = (_heads(1, 4, 100, 32, seed) for seed in range(3, 6))
    with torch.no_grad():
        outputs = [fused_attention(query, key, value) for _ in range(3)]
    assert torch.equal(outputs[0], outputs[1]) and torch.equal(outputs[1], outputs[2])
    # The unfused expression rounds differently: the first output would
    # differ from the others if the unfused profiling call were returned.
    with torch.no_grad(), use_fused_attention(False):
        unfused = onednn_attention._attention_of_scale(32 ** -0.5)(query, key, value)
    assert not torch.equal(unfused, outputs[0])


def test_applies_only_to_bf16_cpu_inference_without_mask_dropout_causality_or_modes():
    query, key, value = (_heads(1, 2, 6, 8, seed) for seed in range(3))
    mask = torch.zeros(6, 6, dtype=torch.bfloat16)
    # Only where the CPU has native bf16 (elsewhere oneDNN Graph leaves it unfused).
    native = cpu_supports_bf16()
    assert fused_attention_applies(query, key, value, None, 0., False) == native
    assert not fused_attention_applies(query.float(), key.float(), value.float(), None, 0.,
                                       False)
    assert not fused_attention_applies(query, key, value, mask, 0., False)
    assert not fused_attention_applies(query, key, value, None, 0.1, False)
    assert not fused_attention_applies(query, key, value, None, 0., True)
    trainable = query.clone().requires_grad_()
    assert not fused_attention_applies(trainable, key, value, None, 0., False)
    with torch.no_grad():
        assert fused_attention_applies(trainable, key, value, None, 0., False) == native
    with use_fused_attention(False):
        assert not fused_attention_applies(query, key, value, None, 0., False)
    with FlopCounterMode(display=False):
        assert not fused_attention_applies(query, key, value, None, 0., False)
    assert fused_attention_applies(query, key, value, None, 0., False) == native


def test_demo_model_in_bf16_is_as_close_to_fp32_with_the_fused_path_as_without():
    torch.manual_seed(0)
    model = init_model(load_config(DEMO_CONFIG), checkpoint=None, device='cpu').eval()
    images, samples = make_inputs(model, 2, 128, 128, 'cpu', seed=0)
    with torch.no_grad():
        fp32 = model._forward(images, samples).float()
        outputs = {}
        for fused in (False, True):
            with use_fused_attention(fused), torch.autocast('cpu', dtype=torch.bfloat16):
                for _ in range(3):  # the fused path fuses from its second or third call
                    outputs[fused] = model._forward(images, samples).float()
    errors = {fused: (out - fp32).abs().mean().item() for fused, out in outputs.items()}
    assert errors[True] <= 2 * errors[False]
    masks = {fused: out > 0 for fused, out in outputs.items()}
    agreement = (masks[True] == masks[False]).float().mean().item()
    assert agreement > 0.99


def _compiled(function):
    """``function`` through ``torch.compile`` in one graph, and the list its
    FX graphs are recorded in."""
    backend, graphs = recording_backend()
    return torch.compile(function, backend=backend, fullgraph=True), graphs


def _attention_of_heads(query, key, value):
    # scaled_dot_product takes (N, B, C) sequences: 2 heads of width 8.
    return scaled_dot_product(query, key, value, num_heads=2) * 2


@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
def test_attention_compiles_in_one_graph(dtype):
    """No graph break at the attention (``fullgraph=True`` raises on one),
    in fp32 and in bf16, with or without gradient."""
    query, key = torch.randn(6, 1, 16, dtype=dtype), torch.randn(4, 1, 16, dtype=dtype)
    for grad in (False, True):
        compiled, graphs = _compiled(_attention_of_heads)
        with torch.set_grad_enabled(grad):
            out = compiled(query, key, key)
        assert out.shape == query.shape and len(graphs) == 1


@pytest.mark.skipif(not cpu_supports_bf16(), reason='the fused path serves CPUs with native '
                    'bf16 (AVX512-BF16 or AMX)')
def test_compiled_bf16_inference_calls_the_fused_operator_where_eager_would():
    query = torch.randn(37, 2, 16).bfloat16()
    key = torch.randn(11, 2, 16).bfloat16()
    expected = _attention_of_heads(query.float(), key.float(), key.float())

    def operators(graphs):
        return [str(node.target) for graph in graphs for node in graph.graph.nodes
                if node.op == 'call_function']

    compiled, graphs = _compiled(_attention_of_heads)
    with torch.no_grad():
        out = compiled(query, key, key)
    assert 'mmris.onednn_attention' in operators(graphs)
    assert (out.float() - expected).abs().max() < 0.06  # a few bf16 steps of outputs ~2
    # Through aot_autograd, a graph's first call runs custom operators inside a
    # dispatch mode of its own: the operator's first call of a shape works there.
    onednn_attention._scripted.clear()
    torch._dynamo.reset()
    with torch.no_grad():
        out = torch.compile(_attention_of_heads, backend='aot_eager', fullgraph=True)(
            query, key, key)
    assert (out.float() - expected).abs().max() < 0.06
    # Off when it was compiled, with gradient, or in fp32: the graph has none.
    for fused, grad, dtype in ((False, False, torch.bfloat16), (True, True, torch.bfloat16),
                               (True, False, torch.float32)):
        compiled, graphs = _compiled(_attention_of_heads)
        trainable = query.to(dtype).requires_grad_()
        with use_fused_attention(fused), torch.set_grad_enabled(grad):
            compiled(trainable, key.to(dtype), key.to(dtype))
        assert not any('onednn_attention' in name for name in operators(graphs))

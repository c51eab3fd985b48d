"""MultiheadAttention on the fused kernel against torch's nn.MultiheadAttention."""
import pytest
import torch
from torch import nn

from mmris.models.layers import MultiheadAttention


def _pair(dropout=0.):
    torch.manual_seed(0)
    expected = nn.MultiheadAttention(32, 4, dropout=dropout)
    torch.manual_seed(0)
    ours = MultiheadAttention(32, 4, dropout=dropout)
    return expected, ours


def test_same_parameters_names_and_initialisation():
    expected, ours = _pair()
    assert list(ours.state_dict()) == list(expected.state_dict())
    for name, value in expected.state_dict().items():
        assert torch.equal(ours.state_dict()[name], value), name
    # nn.MultiheadAttention's weights load as they are.
    ours.load_state_dict(expected.state_dict())


def _inputs():
    generator = torch.Generator().manual_seed(1)
    query = torch.randn(9, 3, 32, generator=generator)
    memory = torch.randn(5, 3, 32, generator=generator)
    padding = torch.zeros(3, 5, dtype=torch.bool)
    padding[0, 3:] = True
    padding[2, 1:] = True
    query_padding = torch.zeros(3, 9, dtype=torch.bool)
    query_padding[1, 6:] = True
    causal = torch.full((9, 9), float('-inf')).triu_(1)
    return query, memory, padding, query_padding, causal


@pytest.mark.parametrize('case', ['self', 'cross', 'cross_padded', 'causal', 'causal_padded',
                                  'query_is_key'])
def test_outputs_match_torch(case):
    expected, ours = _pair()
    expected.eval(), ours.eval()
    q, m, padding, q_padding, causal = _inputs()
    torch_args, our_args, our_kwargs, torch_kwargs = (q, q, q), (q, q, q), {}, {}
    if case.startswith('cross'):
        torch_args = our_args = (q, m, m)
    if case == 'cross_padded':
        torch_kwargs = our_kwargs = dict(key_padding_mask=padding)
    if case.startswith('causal'):
        torch_kwargs, our_kwargs = dict(attn_mask=causal), dict(is_causal=True)
    if case == 'causal_padded':
        torch_kwargs['key_padding_mask'] = our_kwargs['key_padding_mask'] = q_padding
        torch_kwargs['attn_mask'] = causal.masked_fill(causal == 0, 0.).bool()  # same types
    if case == 'query_is_key':  # the decoder's self-attention: q = k, other values
        torch_args = our_args = (q, q, q.flip(0))
    reference = expected(*torch_args, need_weights=False, **torch_kwargs)[0]
    torch.testing.assert_close(ours(*our_args, **our_kwargs), reference, rtol=0, atol=1e-6)


def test_additive_mask_matches_the_causal_flag():
    _, ours = _pair()
    q, _, _, _, causal = _inputs()
    torch.testing.assert_close(ours(q, q, q, attn_mask=causal), ours(q, q, q, is_causal=True))


def test_training_dropout_draws_as_torch_does():
    """Same dropout on the attention weights, from the same random stream."""
    expected, ours = _pair(dropout=0.3)
    q, m, padding, _, _ = _inputs()
    torch.manual_seed(5)
    reference = expected(q, m, m, key_padding_mask=padding, need_weights=False)[0]
    torch.manual_seed(5)
    got = ours(q, m, m, key_padding_mask=padding)
    torch.testing.assert_close(got, reference, rtol=0, atol=1e-6)
    ours.eval()
    assert not torch.equal(ours(q, m, m, key_padding_mask=padding), got)


def test_gradients_match_torch():
    expected, ours = _pair()
    q, m, padding, _, _ = _inputs()
    for _, out in ((expected, expected(q, m, m, key_padding_mask=padding,
                                            need_weights=False)[0]),
                        (ours, ours(q, m, m, key_padding_mask=padding))):
        out.square().sum().backward()
    for (name, a), (_, b) in zip(expected.named_parameters(), ours.named_parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-5, atol=1e-6, msg=name)

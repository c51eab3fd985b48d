"""compile_network: which parts it compiles, and a model without them."""
import pytest
import torch
from mmris_fixtures.compiling import recording_backend
from torch import nn

from mmris.utils.network_compile import compile_network


class Detector(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
        self.head = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        return self.head(self.backbone(x))


def test_compiles_the_backbones_forward_with_the_same_keys_and_outputs():
    torch.manual_seed(0)
    model = Detector().eval()
    keys = list(model.state_dict())
    x = torch.randn(2, 3, 9, 9)
    with torch.no_grad():
        expected = model(x)
        assert compile_network(model) == ['backbone']  # no neck here
        got = model(x)
    assert hasattr(model.backbone.forward, '_torchdynamo_orig_callable')  # torch.compile's
    assert not hasattr(model.head.forward, '_torchdynamo_orig_callable')
    assert list(model.state_dict()) == keys  # checkpoints load as before
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_a_model_without_backbone_or_neck_is_refused():
    with pytest.raises(ValueError, match='Linear has no backbone, neck, decode_head'):
        compile_network(nn.Linear(2, 2))


@pytest.mark.parametrize('precision', ['fp32', 'bf16'])
def test_each_compiled_part_of_the_demo_model_is_one_graph(precision):
    """The backbone, neck and decode head of the ``make demo`` model each
    trace as one graph (``fullgraph=True`` raises on a graph break): a break
    at every attention call once split compiled models into dozens of
    graphs."""
    from mmris.apis import init_model
    from mmris.benchmark import make_inputs
    from mmris.utils import load_config
    torch.manual_seed(0)
    model = init_model(load_config('configs/demo/etris_tiny_synthetic_refcoco.py'),
                       checkpoint=None, device='cpu').eval()
    images, samples = make_inputs(model, 1, 128, 128, 'cpu', seed=0)
    backend, graphs = recording_backend()
    assert compile_network(model, dict(backend=backend, fullgraph=True)) == [
        'backbone', 'neck', 'decode_head']
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16,
                                         enabled=precision == 'bf16'):
        model._forward(images, samples)
    assert len(graphs) == 3

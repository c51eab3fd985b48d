"""mmris.benchmark.reference on a stand-in checkout of the reference ETRIS:
its config per backbone, its code imported only while it is built, and the
CLIP towers it is given."""
import sys
import types

import pytest

from mmris.benchmark import build_reference, imports_from, reference_config_file
from mmris.models.encoders.clip_weights import openai_clip_state_dict
from mmris.registry import MODELS
from mmris.utils import UsageError

# A stand-in for the reference's model/segmenter.py: it imports a sibling by
# its top-level name, as the reference does (``from model.clip import ...``),
# reads the CLIP archive as the reference does, and has as many trainable
# parameters as its config says.
SEGMENTER = '''
import torch
from model.clip import ARCHIVE_KEYS

class ETRIS(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ARCHIVE_KEYS.extend(torch.jit.load(cfg.clip_pretrain, map_location='cpu').state_dict())
        self.cfg = cfg
        self.trainable = torch.nn.Parameter(torch.zeros(cfg.trainable))
'''


def fake_checkout(root, trainable: int):
    (root / 'model').mkdir(parents=True)
    (root / 'model' / '__init__.py').write_text('')
    (root / 'model' / 'clip.py').write_text('ARCHIVE_KEYS = []\n')
    (root / 'model' / 'segmenter.py').write_text(SEGMENTER)
    (root / 'config' / 'refcoco').mkdir(parents=True)
    (root / 'config' / 'refcoco' / 'bridge_v16.yaml').write_text(
        f'TRAIN:\n  clip_pretrain: pretrain/ViT-B-16.pt\n  input_size: 416\n'
        f'MODEL:\n  trainable: {trainable}\n')
    return root


def test_reference_needs_one_of_its_backbones(tiny_config):
    assert reference_config_file(MODELS.build(tiny_config('vitb').model)) == 'bridge_v16.yaml'
    with pytest.raises(UsageError, match=r'blocks \(1, 1, 1, 1\)'):
        reference_config_file(MODELS.build(tiny_config('rn50').model))


def test_reference_is_built_from_the_checkout_without_leaking_its_imports(
        tmp_path, tiny_config, monkeypatch):
    model = MODELS.build(tiny_config('vitb').model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    checkout = fake_checkout(tmp_path / 'ETRIS', trainable)
    ours = types.ModuleType('model')  # a module of the same name imported before
    monkeypatch.setitem(sys.modules, 'model', ours)
    path_before = list(sys.path)

    reference = build_reference(str(checkout), model, input_size=64, device='cpu')
    assert sys.path == path_before
    assert sys.modules['model'] is ours
    assert not [name for name in sys.modules if name.startswith('model.')]
    assert (reference.cfg.input_size, reference.cfg.word_len) == \
        (64, model.backbone.text_encoder.text_length)
    assert 'bridge_v16.yaml, input 64' in reference.source
    # It was given the model's towers in OpenAI's layout.
    keys = type(reference).__init__.__globals__['ARCHIVE_KEYS']  # its modules stay usable
    backbone = model.backbone
    assert sorted(keys) == sorted(openai_clip_state_dict(backbone.vision_encoder,
                                                         backbone.text_encoder))


def test_reference_with_other_trainable_parameters_is_refused(tmp_path, tiny_config):
    model = MODELS.build(tiny_config('vitb').model)
    checkout = fake_checkout(tmp_path / 'ETRIS', 7)
    with pytest.raises(UsageError, match=r'has 7 trainable parameters and this model'):
        build_reference(str(checkout), model, input_size=64, device='cpu')


def test_imports_from_restores_what_it_set_aside(tmp_path):
    (tmp_path / 'utils.py').write_text('WHERE = "checkout"\n')
    before = sys.modules.get('utils')
    with imports_from(tmp_path):
        import utils
        assert utils.WHERE == 'checkout'
    assert sys.modules.get('utils') is before
    assert str(tmp_path) not in sys.path

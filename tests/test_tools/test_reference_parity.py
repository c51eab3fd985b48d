"""tools/analysis_tools/reference_parity.py without the reference: its
scoped import of a checkout, and the one-line errors of a bad --reference.
(The fixture it writes is checked by
tests/test_models/test_segmentors/test_etris_reference_parity.py.)"""
import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import pytest
from mmris_fixtures.warm_python import warm_python_executable

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis_tools' / 'reference_parity.py'


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('reference_parity', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_checkout(tmp_path):
    """A folder laid out like the reference checkout, whose modules record
    where they were imported from; its utils/dataset.py imports lmdb and
    pyarrow at the top, as the reference's does."""
    for package, modules in (('model', ('clip', 'bridger', 'layers', 'segmenter')),
                             ('utils', ('dataset',))):
        (tmp_path / package).mkdir()
        (tmp_path / package / '__init__.py').write_text('')
        for name in modules:
            (tmp_path / package / f'{name}.py').write_text('ORIGIN = __file__\n')
    (tmp_path / 'utils' / 'dataset.py').write_text('import lmdb\nimport pyarrow\nORIGIN = __file__\n')
    return tmp_path


def test_reference_is_imported_from_the_checkout_and_unloaded_after(tool, fake_checkout,
                                                                    monkeypatch):
    earlier_utils = types.ModuleType('utils')
    monkeypatch.setitem(sys.modules, 'utils', earlier_utils)
    path_before = list(sys.path)
    with tool.reference_modules(str(fake_checkout)) as ref:
        assert Path(ref.segmenter.ORIGIN) == fake_checkout / 'model' / 'segmenter.py'
        assert Path(ref.dataset.ORIGIN) == fake_checkout / 'utils' / 'dataset.py'
        assert sys.modules['utils'] is not earlier_utils
    assert sys.path == path_before
    assert sys.modules['utils'] is earlier_utils
    assert not [name for name in sys.modules if name == 'model' or name.startswith(('model.',
                                                                                     'utils.'))]


def test_a_folder_that_is_not_a_checkout_gets_one_line(tmp_path):
    done = subprocess.run([warm_python_executable(), str(TOOL), 'fixture', '--reference', str(tmp_path),
                           '--out', str(tmp_path / 'out.npz')],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: --reference {str(tmp_path)!r} is not a checkout of the reference ETRIS (no "
        f"model/segmenter.py); clone github.com/kkakkkka/ETRIS there")
    assert not (tmp_path / 'out.npz').exists()


def test_in_contiguous_format_runs_a_channels_last_resnet_as_the_reference_does(tool):
    """The training step is compared with mmris' ResNet in the reference's
    (contiguous) memory format: weights and the convolutions' inputs are
    contiguous afterwards, and the outputs are the same up to rounding."""
    import torch

    from mmris.models.encoders.clip_modified_resnet import CLIPModifiedResNet
    torch.manual_seed(0)
    encoder = CLIPModifiedResNet(layers=(1, 1, 1, 1), output_dim=32, heads=2, pretrain_size=64,
                                 width=8, channels_last=True).eval()
    images = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        before = encoder.embed(images)
    assert before.is_contiguous(memory_format=torch.channels_last)
    assert tool.in_contiguous_format(encoder) is True
    assert not encoder.channels_last and encoder.conv1.weight.is_contiguous()
    with torch.no_grad():
        after = encoder.embed(images)
    assert after.is_contiguous()
    torch.testing.assert_close(after, before)
    assert tool.in_contiguous_format(encoder) is False  # nothing left to change

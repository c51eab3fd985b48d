"""mmris.yaml_parse_cache: once mmris is imported, mmengine parses each YAML
text once and hands out what PyYAML gives for it, as a copy of its own."""
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config
from mmengine.fileio import YamlHandler, load
from mmengine.fileio.handlers import file_handlers

import mmris  # noqa: F401 (registers the handler)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def yaml_parses(monkeypatch):
    """The streams mmengine's YamlHandler parses from now on."""
    parses = []
    parse = YamlHandler.load_from_fileobj

    def counting(self, file, **kwargs):
        parses.append(file)
        return parse(self, file, **kwargs)

    monkeypatch.setattr(YamlHandler, 'load_from_fileobj', counting)
    return parses


def test_load_gives_what_pyyaml_gives_and_a_copy_each_time(tmp_path, yaml_parses):
    path = tmp_path / 'meta.yml'
    path.write_text('Models:\n  - Name: a\n    Config: configs/a.py\n    Sizes: [1, 2]\n')
    first = load(str(path))
    assert first == yaml.safe_load(path.read_text())
    first['Models'][0]['Sizes'].append(3)  # a caller changes what it got
    second = load(str(path))
    assert second == yaml.safe_load(path.read_text()) and second is not first
    assert len(yaml_parses) <= 1  # the text was parsed once (or before this test)

    path.write_text('Models: []\n')  # a changed file is read again
    assert load(str(path)) == {'Models': []}
    with open(path, 'rb') as binary:
        assert load(binary, file_format='yml') == {'Models': []}


def test_a_large_text_is_parsed_each_time(tmp_path, yaml_parses):
    from mmris.yaml_parse_cache import MAX_CACHED_CHARS
    path = tmp_path / 'big.yml'
    path.write_text('items:\n' + '- 12345678\n' * (MAX_CACHED_CHARS // 11 + 1))
    for _ in range(2):
        assert load(str(path))['items'][-1] == 12345678
    assert len(yaml_parses) == 2


@pytest.mark.parametrize('path', ['configs/etris_det/mask-rcnn_etris-rn50_fpn_1x_coco.py',
                                  'configs/etris_seg/etris-vitb16_4xb4-80k_ade20k-512x512.py'])
def test_configs_read_as_with_mmengines_handler(path, monkeypatch, yaml_parses):
    cached = Config.fromfile(str(REPO / path))
    again = Config.fromfile(str(REPO / path))
    parsed_again = len(yaml_parses)
    assert again.to_dict() == cached.to_dict()
    Config.fromfile(str(REPO / path))
    assert len(yaml_parses) == parsed_again  # every metafile of its bases was parsed before
    for name in ('yml', 'yaml'):
        monkeypatch.setitem(file_handlers, name, YamlHandler())
    plain = Config.fromfile(str(REPO / path))
    assert len(yaml_parses) > parsed_again  # mmengine's own handler parses them again
    assert plain.to_dict() == cached.to_dict()

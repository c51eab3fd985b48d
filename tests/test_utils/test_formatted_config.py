"""FormattedOnceConfig: mmengine's config text, formatted once per content."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmris.utils.formatted_config import FormattedOnceConfig

REPO = Path(__file__).resolve().parents[2]
CONFIGS = ['configs/demo/etris_tiny_synthetic_refcoco.py', 'configs/etris/vitb_refcoco.py',
           'configs/etris_seg/etris-vitb16_4xb4-80k_ade20k-512x512.py',
           'configs/etris_det/mask-rcnn_etris-rn50_fpn_1x_coco.py']


@pytest.fixture
def formatter_calls(monkeypatch):
    """The texts mmengine's Config hands to yapf from now on."""
    import mmengine.config.config as mmengine_config
    calls = []
    format_code = mmengine_config.FormatCode

    def counting(text, **kwargs):
        calls.append(text)
        return format_code(text, **kwargs)

    monkeypatch.setattr(mmengine_config, 'FormatCode', counting)
    return calls


@pytest.mark.parametrize('path', CONFIGS)
def test_text_is_mmengines_and_formatted_once(path, formatter_calls):
    expected = Config.fromfile(str(REPO / path)).pretty_text
    cfg = FormattedOnceConfig.of(Config.fromfile(str(REPO / path)))
    formatter_calls.clear()
    assert cfg.pretty_text == expected
    assert cfg.pretty_text == expected
    assert len(formatter_calls) <= 1  # 0: the same text was formatted earlier in the process
    assert cfg.pretty_text == expected and len(formatter_calls) <= 1


def test_text_follows_a_change_of_content(formatter_calls):
    cfg = FormattedOnceConfig.of(Config.fromfile(str(REPO / CONFIGS[0])))
    before = cfg.pretty_text
    cfg.train_cfg.max_iters = 12345
    cfg.model.backbone.new_option = ('a', 2)
    after = cfg.pretty_text
    assert after != before and 'max_iters=12345' in after and "'a'," in after
    assert after == Config(cfg.to_dict()).pretty_text


def test_unformatted_configs_stay_unformatted(formatter_calls):
    # (Config.fromfile drops format_python_code for configs like ours.)
    plain = Config(Config.fromfile(str(REPO / CONFIGS[0])).to_dict(), format_python_code=False)
    formatter_calls.clear()
    assert FormattedOnceConfig.of(plain).pretty_text == plain.pretty_text
    assert not formatter_calls


def test_a_copy_keeps_the_class_and_its_own_contents():
    import copy
    cfg = FormattedOnceConfig.of(Config.fromfile(str(REPO / CONFIGS[0])))
    twin = copy.deepcopy(cfg)
    assert type(twin) is FormattedOnceConfig and twin.filename == cfg.filename
    twin.train_cfg.max_iters = 7
    assert cfg.train_cfg.max_iters != 7 and twin.pretty_text != cfg.pretty_text

"""mmris.utils.upstream_noise: the upstream warnings and log notices the
tools hide, the same list as setup.cfg's filterwarnings."""
import configparser
import logging
import warnings
from pathlib import Path

from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from torch import nn

from mmris.utils.upstream_noise import WARNINGS, quiet_logger, quiet_upstream

SETUP_CFG = Path(__file__).resolve().parents[2] / 'setup.cfg'


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


class TwoLayers(BaseModule):
    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Linear(2, 2), nn.Linear(2, 2)


def test_setup_cfg_filters_the_same_warnings():
    parser = configparser.ConfigParser()
    parser.read(SETUP_CFG)
    lines = parser['tool:pytest']['filterwarnings'].strip().splitlines()
    assert lines == [f'ignore:{w.message}:{w.category.__name__}' for w in WARNINGS]
    assert all(len(w.why.split()) > 4 for w in WARNINGS)  # each says why


def test_quiet_upstream_filters_each_warning(monkeypatch):
    monkeypatch.delenv('MMRIS_DEBUG', raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        quiet_upstream()
        for entry in WARNINGS:
            warnings.warn(f'{entry.message} (and the rest)', entry.category, stacklevel=1)
        warnings.warn('a warning of our own', UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ['a warning of our own']


def test_init_weights_report_is_dropped_from_a_quiet_logger(monkeypatch):
    """mmengine's init_weights lists every parameter on the current logger
    when it has no log file: the quiet logger drops that list, and only it."""
    monkeypatch.delenv('MMRIS_DEBUG', raising=False)
    logger = MMLogger.get_instance('test_upstream_noise')  # now the current logger
    records = Records()
    logger.addHandler(records)
    TwoLayers().init_weights()
    listed = [r for r in records.records if 'The value is the same before and after' in r.msg]
    assert len(listed) == 4  # 2 weights and 2 biases
    records.records.clear()
    quiet_logger(logger)
    TwoLayers().init_weights()
    logger.info('a notice of our own')
    assert [r.msg for r in records.records] == ['a notice of our own']

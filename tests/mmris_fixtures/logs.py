"""What mmengine's logger records during a test (``print_log(...,
logger='current')`` does not reach pytest's caplog: MMLogger does not
propagate)."""
import logging

import pytest
from mmengine.logging import MMLogger


@pytest.fixture
def mmengine_log():
    """The list of records (INFO and above) mmengine's current logger emits
    during the test."""
    records = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)

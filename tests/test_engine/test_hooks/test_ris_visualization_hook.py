"""RISVisualizationHook in a multi-process run gathers each batch to the main
process, so it needs as many batches in each process (tools/dist_test.sh
--show-dir end to end: tests/test_tools/test_dist.py)."""
from types import SimpleNamespace

import pytest

from mmris.engine.hooks import RISVisualizationHook
from mmris.engine.hooks import ris_visualization_hook as module
from mmris.utils import UsageError
from mmris.visualization import RISLocalVisualizer


def test_processes_with_other_numbers_of_batches_are_refused_before_drawing(monkeypatch):
    RISLocalVisualizer.get_instance('test_ris_visualization_hook')
    hook = RISVisualizationHook(draw=True)
    runner = SimpleNamespace(test_dataloader=[None] * 3)  # 3 batches in this process
    monkeypatch.setattr(module, 'get_dist_info', lambda: (0, 2))
    monkeypatch.setattr(module, 'all_gather_object', lambda batches: [batches, 3])
    hook.before_test_epoch(runner)  # 3 and 3: DefaultSampler's round_up evens them out
    monkeypatch.setattr(module, 'all_gather_object', lambda batches: [batches, 2])
    with pytest.raises(UsageError, match=r'test_dataloader.sampler gives the 2 processes 3/2 '
                                         r'batches.*DefaultSampler'):
        hook.before_test_epoch(runner)  # batch 3 would wait for a process that has ended

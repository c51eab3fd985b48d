"""One DDP training step in two gloo processes (mmris.engine.device_check):
every gradient arrives in its parameter's layout, so DDP copies none (no
"Grad strides do not match bucket view strides" warning), in fp32 and
under CPU bf16 autocast."""
import pytest
import torch
from mmengine.config import Config

from mmris.engine.device_check import ddp_training_steps
from mmris.engine.device_check.ddp_step import STRIDE_WARNING


@pytest.mark.parametrize('precision', ['fp32', 'bf16'])
def test_ddp_step_of_the_referring_config_copies_no_gradient(etris_config, precision):
    # Two threads per process (the default): with one, a convolution's
    # weight gradient comes out contiguous whatever its input's layout, and
    # no layout copy could show (see the last test).
    [ranks] = ddp_training_steps([Config.fromfile(etris_config)], precision, 'cpu',
                                 world_size=2)
    assert all('error' not in rank for rank in ranks), ranks
    assert [rank['stride_warnings'] for rank in ranks] == [[], []]
    assert all(torch.isfinite(torch.tensor(rank['loss'])) for rank in ranks)
    assert ranks[0]['loss'] != ranks[1]['loss']  # each rank ran its own samples


def test_one_process_group_runs_each_config_and_reports_each_failure(etris_config):
    """Steps of several configs in one group come back in the configs'
    order; a config that fails to build is reported on each rank, and the
    configs after it still run, with the same losses as before it."""
    good = Config.fromfile(etris_config)
    broken = Config.fromfile(etris_config)
    broken.model.decode_head.in_channels = 24  # does not fit the neck
    steps = ddp_training_steps([good, broken, good], 'fp32', 'cpu', world_size=2)
    assert len(steps) == 3 and all(len(ranks) == 2 for ranks in steps)
    assert all('PartsMismatchError' in rank['error'] for rank in steps[1]), steps[1]
    for ranks in (steps[0], steps[2]):
        assert all('error' not in rank and rank['stride_warnings'] == [] for rank in ranks)
        assert all(torch.isfinite(torch.tensor(rank['loss'])) for rank in ranks)
    # The same config reports the same losses each time it runs (weights and
    # augmentation drawn from its seed), so check runs compare.
    assert [rank['loss'] for rank in steps[0]] == [rank['loss'] for rank in steps[2]]


def test_stride_warning_is_what_ddp_says_for_a_channels_last_gradient(tmp_path):
    """The text :data:`STRIDE_WARNING` looks for is torch's, caught as a
    Python warning: a 1x1 conv fed a channels-last input under DDP, with two
    threads (with one, its weight gradient comes out contiguous and DDP has
    nothing to copy)."""
    import warnings

    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
                            world_size=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    conv = None
    try:
        conv = DistributedDataParallel(torch.nn.Conv2d(8, 8, 1))
        x = torch.randn(2, 8, 4, 4).contiguous(memory_format=torch.channels_last)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            conv(x).sum().backward()
    finally:
        torch.set_num_threads(threads)
        # DDP's reducer holds the group: freed after the group was destroyed,
        # gloo's destructor can wait forever for its threads.
        del conv
        dist.destroy_process_group()
    assert any(STRIDE_WARNING in str(warning.message) for warning in caught)

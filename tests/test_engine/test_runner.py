"""init_dist on a CPU-only machine: gloo, no device selection."""

import pytest
import torch
import torch.distributed as torch_dist

from mmris.engine import init_dist

pytestmark = pytest.mark.skipif(torch.cuda.is_available(),
                                reason='checks the CPU-only path of init_dist')


@pytest.fixture
def single_process_env(monkeypatch, free_port):
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', free_port())
    yield monkeypatch
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def test_pytorch_launcher_uses_gloo_on_cpu(single_process_env):
    for name, value in dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0').items():
        single_process_env.setenv(name, value)
    init_dist('pytorch', backend='nccl', timeout=60)
    assert torch_dist.get_backend() == 'gloo'
    assert torch_dist.get_world_size() == 1


def test_slurm_launcher_reads_slurm_variables_on_cpu(single_process_env):
    for name in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        single_process_env.delenv(name, raising=False)
    for name, value in dict(SLURM_PROCID='0', SLURM_NTASKS='1', SLURM_LOCALID='0',
                            SLURM_NODELIST='localhost').items():
        single_process_env.setenv(name, value)
    init_dist('slurm', backend='nccl')
    assert torch_dist.get_backend() == 'gloo'
    assert torch_dist.get_rank() == 0


def test_mpi_launcher_on_cpu_says_what_to_use():
    with pytest.raises(ValueError, match="launcher='pytorch'"):
        init_dist('mpi')

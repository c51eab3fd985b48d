"""tools/dist_train.sh and dist_test.sh with 2 processes on this machine."""
import os

import torch

from mmris.engine import safe_load


def test_two_process_train_then_test(etris_config, run_tool, schedule_options, free_port,
                                     tmp_path):
    backend = 'nccl' if torch.cuda.is_available() else 'gloo'
    work_dir = tmp_path / 'work'
    # The ETRIS configs set sync_bn: SyncBN on GPUs, per-process BN on CPU.
    result = run_tool('dist_train.sh', etris_config, 2, '--work-dir', work_dir,
                      *schedule_options(1), env=dict(PORT=free_port()))
    assert result.returncode == 0, result.stdout[-4000:]
    assert f'distributed run: world size 2, backend {backend}' in result.stdout
    assert 'rank 0@' in result.stdout and 'rank 1@' in result.stdout
    # 4 objects in batches of 2 on each of 2 processes: 1 iteration per epoch.
    assert 'Epoch(train) [1][1/1]' in result.stdout

    checkpoint = safe_load(str(work_dir / 'epoch_1.pth'), map_location='cpu')
    assert checkpoint['meta']['iter'] == 1
    # DDP's 'module.' prefix is stripped when the Runner saves.
    assert all(not key.startswith('module.') for key in checkpoint['state_dict'])

    result = run_tool('dist_test.sh', etris_config, work_dir / 'epoch_1.pth', 2,
                      '--work-dir', work_dir, env=dict(PORT=free_port()))
    assert result.returncode == 0, result.stdout[-4000:]
    assert 'distributed run: world size 2' in result.stdout
    assert 'mIoU' in result.stdout


FAKE_SRUN = '''#!/usr/bin/env bash
# Stand-in for slurm's srun on one machine: starts --ntasks copies of the
# command with slurm's task variables set, and fails if any copy fails.
ntasks=1
while [[ $1 == -* ]]; do
    case $1 in
        --ntasks=*) ntasks=${1#--ntasks=} ;;
        -p) shift ;;
    esac
    shift
done
pids=()
for ((i = 0; i < ntasks; i++)); do
    SLURM_PROCID=$i SLURM_NTASKS=$ntasks SLURM_LOCALID=$i SLURM_NODELIST=localhost "$@" &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
'''


def test_slurm_train_with_two_tasks(etris_config, run_tool, schedule_options, free_port,
                                    tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN)
    srun.chmod(0o755)
    work_dir = tmp_path / 'work'
    result = run_tool('slurm_train.sh', 'partition', 'job', etris_config, '--work-dir', work_dir,
                      *schedule_options(1),
                      env=dict(GPUS='2', PATH=f'{bin_dir}:{os.environ["PATH"]}',
                               MASTER_ADDR='127.0.0.1', MASTER_PORT=free_port()))
    assert result.returncode == 0, result.stdout[-4000:]
    assert 'distributed run: world size 2' in result.stdout
    assert safe_load(str(work_dir / 'epoch_1.pth'))['meta']['iter'] == 1

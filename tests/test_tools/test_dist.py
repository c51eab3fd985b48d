"""tools/dist_train.sh and dist_test.sh with 2 processes on this machine."""
import json
import os
import shutil

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from mmris.apis import init_model
from mmris.datasets.refcoco import load_refs
from mmris.engine import safe_load
from mmris.registry import DATASETS


@pytest.fixture(scope='module')
def etris_checkpoint(etris_config, tmp_path_factory):
    """A checkpoint of :func:`etris_config`'s model, randomly initialised."""
    path = tmp_path_factory.mktemp('checkpoint') / 'random.pth'
    save_checkpoint(init_model(Config.fromfile(etris_config)).state_dict(), str(path))
    return path


def test_every_test_sample_is_drawn_once(etris_config, etris_checkpoint, run_tool, free_port,
                                         tmp_path):
    # 3 samples in batches of 2: the sampler gives rank 1 sample 0 again.
    show_dir = tmp_path / 'show'
    result = run_tool('dist_test.sh', etris_config, etris_checkpoint, 2, '--work-dir',
                      tmp_path / 'work', '--show-dir', show_dir, '--cfg-options',
                      '+test_dataloader.dataset.indices=3', env=dict(PORT=free_port()))
    assert result.returncode == 0, result.stdout[-4000:]
    cfg = Config.fromfile(etris_config)
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, indices=3))
    names = sorted(picture.name for picture in show_dir.rglob('*.png'))
    assert len(names) == len(dataset) == 3  # rank 0 drew 2 of them before
    for index, name in enumerate(names):  # each named by its own sample, as one process does
        stem = os.path.basename(dataset.get_data_info(index)['img_path']).rsplit('.', 1)[0]
        assert name.startswith(f'{stem}_{index:06d}_') and name.endswith('_0.png')


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


def error_lines(output: str) -> list:
    return [line for line in output.splitlines() if line.startswith('error: ')]


def test_missing_data_is_one_line_before_the_ranks_start(etris_config, run_tool, free_port,
                                                         tmp_path):
    nowhere = tmp_path / 'nowhere'
    result = run_tool('dist_train.sh', etris_config, 2, '--work-dir', tmp_path / 'work',
                      '--cfg-options', f'train_dataloader.dataset.data_root={nowhere}',
                      env=dict(PORT=free_port()))
    assert result.returncode == 2, result.stdout[-4000:]
    assert [line for line in result.stdout.splitlines() if line.strip()] == [
        f"error: train_dataloader.dataset.data_root '{nowhere}' does not exist; get the data "
        f'(docs/dataset_preparation.md) or set train_dataloader.dataset.data_root']


def test_a_user_error_in_the_ranks_is_one_line_without_torchrun_report(
        etris_config, refcoco_root, run_tool, free_port, tmp_path):
    # Annotations that do not fit together: found when the ranks read them.
    root = tmp_path / 'coco'
    shutil.copytree(refcoco_root, root)
    ref = next(r for r in load_refs(str(root / 'refcoco' / 'refs(unc).p'))
               if r['split'] == 'train')
    instances = json.loads((root / 'refcoco' / 'instances.json').read_text())
    instances['annotations'] = [a for a in instances['annotations'] if a['id'] != ref['ann_id']]
    (root / 'refcoco' / 'instances.json').write_text(json.dumps(instances))
    result = run_tool('dist_train.sh', etris_config, 2, '--work-dir', tmp_path / 'work',
                      '--cfg-options', f'train_dataloader.dataset.data_root={root}',
                      env=dict(PORT=free_port()))
    assert result.returncode == 2, result.stdout[-4000:]
    assert 'distributed run: world size 2' in result.stdout  # the ranks did start
    (line,) = error_lines(result.stdout)  # once, not once per rank
    assert f'annotation id {ref["ann_id"]}' in line
    assert 'ChildFailedError' not in result.stdout and 'Traceback' not in result.stdout
    assert result.last_line == line


def test_slurm_preflight_reports_once_before_srun(etris_config, run_tool, tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text('#!/usr/bin/env bash\necho srun was started\nexit 1\n')
    srun.chmod(0o755)
    result = run_tool('slurm_train.sh', 'partition', 'job', etris_config,
                      '--cfg-options', 'model.backbone.clip_weights=pretrain/none.pt',
                      env=dict(GPUS='2', PATH=f'{bin_dir}:{os.environ["PATH"]}'))
    assert result.returncode == 2, result.stdout[-4000:]
    assert 'srun was started' not in result.stdout
    assert error_lines(result.stdout) == [result.last_line]
    assert result.last_line.startswith("error: model.backbone.clip_weights 'pretrain/none.pt' "
                                       'does not exist; download them')


def test_a_user_error_of_rank_1_alone_is_printed_once(etris_config, etris_checkpoint,
                                                      refcoco_root, run_tool, free_port,
                                                      tmp_path):
    root = tmp_path / 'coco'
    shutil.copytree(refcoco_root, root)
    cfg = Config.fromfile(etris_config)
    # The training split: the test split has one image.
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(root),
                                  split='train'))
    images = [dataset.get_data_info(index)['img_path'] for index in range(len(dataset))]
    other = next(index for index, image in enumerate(images) if image != images[0])
    os.remove(images[other])
    # One sample per batch: rank 0 reads sample 0, rank 1 the one whose image is gone.
    result = run_tool('dist_test.sh', etris_config, etris_checkpoint, 2,
                      '--work-dir', tmp_path / 'work', '--cfg-options',
                      f'test_dataloader.dataset.data_root={root}',
                      'test_dataloader.dataset.split=train',
                      f'+test_dataloader.dataset.indices=[0,{other}]',
                      'test_dataloader.batch_size=1', env=dict(PORT=free_port()))
    assert result.returncode == 2, result.stdout[-4000:]
    (line,) = error_lines(result.stdout)
    assert line.startswith('error: ') and images[other] in line
    assert result.last_line == line
    assert 'ChildFailedError' not in result.stdout and 'Traceback' not in result.stdout

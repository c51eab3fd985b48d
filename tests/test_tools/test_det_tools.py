"""The command-line tools on the detection configs: the generated COCO set,
its trivial baselines, train/test (also with 2 processes and slurm) and the
parameter count."""
import json
import os

import pytest
from test_dist import FAKE_SRUN

CUSTOM = 'configs/etris_det/retinanet_etris-rn50_fpn_1x_custom-classes.py'


def test_make_synthetic_coco(run_tool, tmp_path):
    result = run_tool('dataset_converters/make_synthetic_coco.py', '--out', tmp_path,
                      '--num-train', 3, '--num-val', 2, '--size', 48)
    assert result.returncode == 0, result.stdout[-2000:]
    assert result.last_line == f'wrote 5 images to {tmp_path}'
    instances = json.loads((tmp_path / 'annotations' / 'instances_val.json').read_text())
    assert [c['name'] for c in instances['categories']] == ['circle', 'square', 'triangle']
    assert len(list((tmp_path / 'train').glob('*.jpg'))) == 3
    result = run_tool('dataset_converters/make_synthetic_coco.py', '--out', tmp_path,
                      '--size', 16)
    assert result.returncode == 2 and result.last_line == 'error: --size must be at least 32, got 16'


def test_det_baselines_on_a_set_where_every_box_is_the_whole_image(run_tool, tmp_path):
    # One object of each class per image, each filling it: the whole-image
    # boxes are exact (mAP 1), and so is the training set's mean box.
    images = [dict(id=i, file_name=f'{i}.jpg', height=40, width=60) for i in (1, 2)]
    annotations = [dict(id=3 * i + c, image_id=i, category_id=c, bbox=[0, 0, 60, 40], area=2400,
                        iscrowd=0, segmentation=[[0, 0, 60, 0, 60, 40, 0, 40]])
                   for i in (1, 2) for c in (1, 2, 3)]
    (tmp_path / 'annotations').mkdir()
    for split in ('train', 'val'):
        (tmp_path / 'annotations' / f'instances_{split}.json').write_text(json.dumps(dict(
            images=images, annotations=annotations,
            categories=[dict(id=1, name='circle'), dict(id=2, name='square'),
                        dict(id=3, name='triangle')])))
    result = run_tool('analysis_tools/det_baselines.py', CUSTOM, '--cfg-options',
                      f'train_dataloader.dataset.data_root={tmp_path}',
                      f'test_dataloader.dataset.data_root={tmp_path}',
                      f'test_evaluator.ann_file={tmp_path}/annotations/instances_val.json')
    assert result.returncode == 0, result.stdout[-3000:]
    lines = {line.split(':')[0]: line for line in result.stdout.splitlines()
             if line.startswith(('whole-image:', 'mean-box:'))}
    assert 'coco/bbox_mAP 1.000' in lines['whole-image']
    assert 'coco/bbox_mAP 1.000' in lines['mean-box']


@pytest.fixture
def tiny_custom_config(tmp_path, tiny_det_config, write_coco_dataset):
    """The custom-classes config, tiny, on 2 + 2 generated images, as a file."""
    cfg = tiny_det_config(CUSTOM)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=1)
        write_coco_dataset(cfg[loader].dataset, tmp_path / 'data', cfg.model.backbone.classes)
    cfg.train_dataloader.pop('batch_sampler')
    cfg.val_evaluator.ann_file = cfg.test_evaluator.ann_file = str(
        tmp_path / 'data' / 'annotations' / 'instances_val.json')
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.logger.interval = 1
    path = tmp_path / 'tiny_retinanet.py'
    cfg.dump(str(path))
    return path


def test_train_then_test_with_pictures(tiny_custom_config, run_tool, tmp_path):
    work_dir = tmp_path / 'work'
    result = run_tool('train.py', tiny_custom_config, '--work-dir', work_dir)
    assert result.returncode == 0, result.stdout[-4000:]
    assert 'coco/bbox_mAP' in result.stdout and (work_dir / 'epoch_1.pth').is_file()
    result = run_tool('test.py', tiny_custom_config, work_dir / 'epoch_1.pth', '--work-dir',
                      work_dir, '--show-dir', tmp_path / 'pictures')
    assert result.returncode == 0, result.stdout[-4000:]
    assert 'coco/bbox_mAP' in result.stdout
    assert len(list((tmp_path / 'pictures').rglob('*.png'))) == 2


def test_two_processes_and_slurm(tiny_custom_config, run_tool, free_port, tmp_path):
    result = run_tool('dist_train.sh', tiny_custom_config, 2, '--work-dir', tmp_path / 'dist',
                      env=dict(PORT=free_port()))
    assert result.returncode == 0, result.stdout[-4000:]
    assert 'distributed run: world size 2' in result.stdout
    assert (tmp_path / 'dist' / 'epoch_1.pth').is_file()
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'srun').chmod(0o755)
    result = run_tool('slurm_train.sh', 'partition', 'job', tiny_custom_config, '--work-dir',
                      tmp_path / 'slurm',
                      env=dict(GPUS='2', PATH=f'{bin_dir}:{os.environ["PATH"]}',
                               MASTER_ADDR='127.0.0.1', MASTER_PORT=free_port()))
    assert result.returncode == 0, result.stdout[-4000:]
    assert 'distributed run: world size 2' in result.stdout


def test_count_params_of_a_detector(run_tool, tmp_path):
    out = tmp_path / 'counts.json'
    result = run_tool('analysis_tools/count_params.py',
                      'configs/etris_det/retinanet_etris-rn50_fpn_1x_coco.py', '--json', out)
    assert result.returncode == 0, result.stdout[-3000:]
    counts = json.loads(out.read_text())
    groups = counts['groups']
    assert groups['detection_heads']['trainable'] > 0 and groups['other']['params'] == 0
    assert groups['frozen_encoders']['trainable'] == 0
    assert sum(group['params'] for group in groups.values()) == counts['total']
    assert 'Detection heads (bbox_head, rpn_head, roi_head)' in result.stdout

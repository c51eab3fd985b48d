"""tools/test.py --show-dir with an ETRIS config: RISVisualizationHook writes
one RISLocalVisualizer picture per (image, expression) sample."""
import re

import cv2
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint


def test_one_picture_per_sample(refcoco_root, tiny_config, run_tool, tmp_path):
    cfg = tiny_config('vitb')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(refcoco_root)
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=2)
    # The first 3 test samples: the expressions of one image (3 names that
    # mmseg's hook would collapse into one file).
    cfg.test_dataloader.dataset.indices = 3
    config_file, checkpoint = tmp_path / 'tiny.py', tmp_path / 'tiny.pth'
    cfg.dump(str(config_file))
    init_default_scope('mmris')
    from mmris.registry import DATASETS, MODELS
    save_checkpoint(MODELS.build(cfg.model).state_dict(), str(checkpoint))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)

    show_dir = tmp_path / 'show'
    result = run_tool('test.py', config_file, checkpoint, '--work-dir', tmp_path / 'work',
                      '--show-dir', show_dir)
    assert result.returncode == 0, result.stdout[-3000:]
    pictures = sorted(show_dir.rglob('*.png'))
    assert len(pictures) == len(dataset) == 3
    for index, picture in enumerate(pictures):
        info = dataset.get_data_info(index)
        stem = info['img_path'].rsplit('/', 1)[-1].rsplit('.', 1)[0]
        text = re.sub(r'[^A-Za-z0-9]+', '_', info['text']).strip('_')
        assert picture.name == f'{stem}_{index:06d}_{text}_0.png'
        image = cv2.imread(str(picture))
        height, width = cv2.imread(info['img_path']).shape[:2]
        panel_width = round(width * 256 / min(height, width))  # enlarged to 256 px
        assert image.shape[1] == 2 * panel_width  # GT | prediction
        assert image.shape[0] > round(height * 256 / min(height, width))  # caption band

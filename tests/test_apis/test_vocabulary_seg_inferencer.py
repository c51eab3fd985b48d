"""VocabularySegInferencer and tools/demo/seg_demo.py on a tiny ETRIS-seg."""
import cv2
import numpy as np
import pytest
import torch

from mmris.apis import VocabularySegInferencer
from mmris.models.utils.class_vocabulary import set_vocabulary

CLASSES = ['background', 'circle', 'square', 'triangle']


@pytest.fixture
def tiny_seg_files(tmp_path, tiny_seg_config):
    """A tiny ADE20K-config model with a 4-class vocabulary, written as a
    config file and a checkpoint of its random weights; and an image."""
    from mmengine.runner import save_checkpoint

    from mmris.registry import MODELS
    cfg = tiny_seg_config('etris-vitb16_4xb4-80k_ade20k-512x512')
    set_vocabulary(cfg.model, CLASSES)
    config = tmp_path / 'tiny_seg.py'
    cfg.dump(str(config))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = tmp_path / 'tiny_seg.pth'
    save_checkpoint(dict(state_dict=model.state_dict()), str(checkpoint))
    image = tmp_path / 'shapes.png'
    picture = np.full((48, 80, 3), 20, np.uint8)
    cv2.circle(picture, (20, 24), 12, (0, 0, 230), -1)
    cv2.imwrite(str(image), picture)
    return str(config), str(checkpoint), str(image)


def test_predictions_index_the_given_vocabulary(tiny_seg_files):
    config, checkpoint, image = tiny_seg_files
    inferencer = VocabularySegInferencer(config, weights=checkpoint, device='cpu')
    labels = inferencer(image)['predictions']
    assert labels.shape == (48, 80) and labels.max() < len(CLASSES)
    assert inferencer.visualizer.dataset_meta['classes'] == CLASSES

    wider = CLASSES + ['star', 'moon', 'hexagon']
    inferencer = VocabularySegInferencer(config, weights=checkpoint, classes=wider, device='cpu')
    result = inferencer(image, return_datasamples=True)
    assert result.seg_logits.data.shape[0] == len(wider)
    assert inferencer.model.decode_head.num_classes == len(wider)
    assert inferencer.visualizer.dataset_meta['classes'] == wider
    assert len(inferencer.visualizer.dataset_meta['palette']) == len(wider)


def test_seg_demo_writes_a_picture_with_a_legend(tiny_seg_files, run_tool, tmp_path):
    config, checkpoint, image = tiny_seg_files
    out = tmp_path / 'out.png'
    result = run_tool('demo/seg_demo.py', image, config, '--weights', checkpoint,
                      '--classes', 'background', 'red circle', '--out-file', out)
    assert result.returncode == 0, result.stdout[-3000:]
    picture = cv2.imread(str(out))
    assert picture.shape[1] >= 80 and picture.shape[0] > 48  # the legend is below
    shares = [line for line in result.stdout.splitlines() if '% of the image' in line]
    assert shares and all(line.split(':')[0] in ('background', 'red circle') for line in shares)
    assert sum(float(line.split(': ')[1].split('%')[0]) for line in shares) == pytest.approx(
        100, abs=0.2)
    assert result.last_line == f'wrote {out}'


def test_seg_demo_names_a_missing_image(tiny_seg_files, run_tool, tmp_path):
    config, checkpoint, _ = tiny_seg_files
    result = run_tool('demo/seg_demo.py', tmp_path / 'none.png', config, '--weights', checkpoint)
    assert result.returncode == 2
    assert result.last_line.startswith('error: IMG') and 'none.png' in result.last_line


def test_seg_demo_reads_one_name_as_a_class_list_and_refuses_one_class(tiny_seg_files,
                                                                        run_tool, tmp_path):
    config, checkpoint, image = tiny_seg_files
    out = tmp_path / 'voc.png'
    result = run_tool('demo/seg_demo.py', image, config, '--weights', checkpoint,
                      '--classes', 'voc', '--out-file', out)
    assert result.returncode == 0, result.stdout[-3000:]
    from mmseg.utils import get_classes
    shares = [line.split(':')[0] for line in result.stdout.splitlines() if '% of the image' in line]
    assert shares and set(shares) <= set(get_classes('voc'))
    result = run_tool('demo/seg_demo.py', image, config, '--weights', checkpoint,
                      '--classes', 'triangle', '--out-file', out)
    assert result.returncode == 2
    assert 'classes=' in result.last_line and "'triangle' is not a class list" in result.last_line
    with pytest.raises(ValueError, match='TextKernelHead needs at least 2 classes, got 1'):
        VocabularySegInferencer(config, weights=checkpoint, classes=['triangle'], device='cpu')

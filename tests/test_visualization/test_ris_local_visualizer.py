"""RISLocalVisualizer: GT | prediction panels, caption band, no-GT and
multi-class cases, output through out_file and the vis backends."""
import itertools

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.engine.hooks import sample_name
from mmris.registry import VISUALIZERS
from mmris.visualization import RISLocalVisualizer
from mmris.visualization.unicode_text import MISSING_GLYPH, UnicodeText, find_fonts

H, W = 40, 60
_names = itertools.count()


def make_visualizer(**kwargs):
    return RISLocalVisualizer(name=f'ris_vis_test_{next(_names)}', **kwargs)


def make_sample(text='the red square on the left', gt=True, pred=True):
    image = np.full((H, W, 3), 90, np.uint8)
    gt_mask = torch.zeros(1, H, W, dtype=torch.int64)
    gt_mask[:, 10:30, 5:25] = 1
    pred_mask = torch.zeros(1, H, W, dtype=torch.int64)
    pred_mask[:, 10:30, 15:35] = 1
    sample = SegDataSample(metainfo=dict(img_path='/x/img_1.jpg', text=text) if text else {})
    if gt:
        sample.gt_sem_seg = PixelData(data=gt_mask)
    if pred:
        sample.pred_sem_seg = PixelData(data=pred_mask)
        sample.pred_prob = PixelData(data=pred_mask.float() * 0.9)
    return image, sample


def read(path):
    picture = cv2.imread(str(path))
    assert picture is not None, f'{path} was not written'
    return picture


def test_gt_and_prediction_side_by_side_with_caption(tmp_path):
    vis = make_visualizer(min_size=0)
    image, sample = make_sample()
    out = tmp_path / 'pic.png'
    vis.add_datasample('sample', image, sample, out_file=str(out))
    picture = read(out)
    assert picture.shape[1] == 2 * W
    assert picture.shape[0] > H  # the caption band
    band = picture[H:]
    assert (band == 255).mean() > 0.5 and (band < 128).any()  # white band with dark text
    # The left panel tints the GT region, the right one the predicted region.
    gt_pixel, pred_only_pixel = picture[20, 8], picture[20, W + 32]
    assert not np.array_equal(gt_pixel, [90, 90, 90])
    assert not np.array_equal(pred_only_pixel, [90, 90, 90])
    assert np.array_equal(picture[20, 32], [90, 90, 90])  # outside the GT in the GT panel
    np.testing.assert_array_equal(vis.get_image(), picture[..., ::-1])


def test_without_ground_truth_only_the_prediction(tmp_path):
    vis = make_visualizer(min_size=0)
    image, sample = make_sample(gt=False)
    out = tmp_path / 'pic.png'
    vis.add_datasample('sample', image, sample, out_file=str(out))
    picture = read(out)
    assert picture.shape[1] == W and picture.shape[0] > H


def test_long_expressions_wrap_into_a_taller_band(tmp_path):
    vis = make_visualizer(min_size=0)
    heights = []
    for text in ('a cat', 'the small grey cat sitting on the left edge of the wooden table '
                 'next to a cup of coffee, behind the laptop and the lamp'):
        image, sample = make_sample(text=text)
        heights.append(vis.draw_referring(image, sample).shape[0])
    assert heights[1] > heights[0] > H


def test_small_images_are_enlarged():
    vis = make_visualizer()  # min_size=256
    image, sample = make_sample()
    picture = vis.draw_referring(image, sample)
    assert picture.shape[1] == 2 * round(W * 256 / H)


def test_vis_backend_output_and_registry(tmp_path):
    vis = VISUALIZERS.build(dict(type='RISLocalVisualizer', name=f'ris_vis_test_{next(_names)}',
                                 vis_backends=[dict(type='LocalVisBackend')],
                                 save_dir=str(tmp_path)))
    assert isinstance(vis, RISLocalVisualizer)
    assert vis.dataset_meta['classes'] == ('background', 'object')
    image, sample = make_sample()
    name = sample_name(sample.img_path, 3, sample.text)
    assert name == 'img_1_000003_the_red_square_on_the_left'
    vis.add_datasample(name, image, sample, step=7)
    assert (tmp_path / 'vis_data' / 'vis_image' / f'{name}_7.png').is_file()


def test_multi_class_samples_are_drawn_as_mmseg_does(tmp_path):
    classes = ('background', 'circle', 'square', 'triangle')
    palette = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]
    vis = make_visualizer(classes=classes, palette=palette)
    image, sample = make_sample(text=None)
    sample.gt_sem_seg.data[:, 0:5, 0:5] = 3
    out = tmp_path / 'pic.png'
    vis.add_datasample('semantic', image, sample, out_file=str(out))
    assert read(out).shape == (H, 2 * W, 3)  # no enlarging, no caption


def caption(text: str, **kwargs) -> np.ndarray:
    """The caption band of ``text`` in a referring picture."""
    image, sample = make_sample(text=text)
    return make_visualizer(min_size=0, **kwargs).draw_referring(image, sample)[H:]


def cjk_font():
    """A font of the chain with Chinese glyphs, or a skip saying what to install."""
    from mmris.visualization.unicode_text import code_points
    font = next((f for f in find_fonts() if ord('猫') in code_points(f)), None)
    if font is None:
        pytest.skip('no CJK font: install one (Debian: apt-get install fonts-droid-fallback); '
                    '.ci/run does so in CI')
    return font


def test_chinese_captions_keep_their_characters():
    cjk_font()
    with_cat, with_dog = caption('左边的猫'), caption('左边的狗')
    # Different characters give different pixels, and neither is the box of
    # a missing glyph.
    assert with_cat.shape == with_dog.shape and (with_cat != with_dog).any()
    assert (with_cat != caption(MISSING_GLYPH * 4)).any()


def test_accents_are_drawn_not_dropped():
    accented, plain = caption('la tasse à café'), caption('la tasse a cafe')
    assert accented.shape == plain.shape and (accented != plain).any()
    assert (caption('café') != caption('cafe')).any()


def test_characters_without_a_font_are_boxes_with_a_warning():
    latin_only = find_fonts()[:1]  # DejaVu Sans: no Chinese
    with pytest.warns(UserWarning, match=r"no caption font has a glyph for '猫' \(U\+732B\).*"
                                         r'fonts-droid-fallback'):
        missing = caption('猫', font_files=latin_only)
    np.testing.assert_array_equal(missing, caption(MISSING_GLYPH, font_files=latin_only))


def test_fallback_chain_and_wrapping():
    text = UnicodeText()
    runs = text.runs('a 猫') if len(text.font_files) > 1 else []
    if runs:
        assert [part for _, part in runs] == ['a ', '猫'] and runs[0][0] != runs[1][0]
    size = 20
    lines = text.wrap('the cat on the left of the table', size, text.width('the cat on', size))
    assert lines[0] == 'the cat on' and all(text.width(line, size) <= text.width('the cat on', size)
                                            for line in lines)
    assert ' '.join(lines) == 'the cat on the left of the table'
    # Without spaces (Chinese), lines break between characters.
    assert ''.join(text.wrap('左边的猫在桌子上', size, 3 * size)) == '左边的猫在桌子上'

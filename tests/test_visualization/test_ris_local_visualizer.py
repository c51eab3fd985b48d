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
from mmris.visualization.unicode_text import ELLIPSIS, MISSING_GLYPH, UnicodeText, find_fonts

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


# The documented defaults (RISLocalVisualizer's docstring): ground truth cyan,
# prediction magenta, tinted at alpha 0.5 over the image; in BGR as cv2 reads
# the written file. Over the grey 90 of make_sample: 90 / 2 + 255 / 2 = 172.5.
GREY = [90, 90, 90]
CYAN_TINT_BGR = [172, 172, 45]
MAGENTA_TINT_BGR = [172, 45, 172]
# Pixels away from the mask outlines and below the panel labels (rows 0-16).
INSIDE_GT_ONLY = (24, 10)  # GT is rows 10-29, columns 5-24
INSIDE_BOTH = (24, 20)
INSIDE_PRED_ONLY = (24, 29)  # the prediction is rows 10-29, columns 15-34
OUTSIDE = (35, 45)


def test_gt_and_prediction_side_by_side_with_caption(tmp_path):
    vis = make_visualizer(min_size=0)
    image, sample = make_sample()
    out = tmp_path / 'pic.png'
    vis.add_datasample('sample', image, sample, out_file=str(out))
    picture = read(out)
    assert picture.shape[1] == 2 * W
    assert picture.shape[0] > H  # the caption band
    gt_panel, pred_panel = picture[:H, :W], picture[:H, W:]
    # The left panel tints the GT region cyan, the right one the predicted region magenta.
    for pixel in (INSIDE_GT_ONLY, INSIDE_BOTH):
        np.testing.assert_array_equal(gt_panel[pixel], CYAN_TINT_BGR)
    for pixel in (INSIDE_PRED_ONLY, OUTSIDE):
        np.testing.assert_array_equal(gt_panel[pixel], GREY)
    for pixel in (INSIDE_PRED_ONLY, INSIDE_BOTH):
        np.testing.assert_array_equal(pred_panel[pixel], MAGENTA_TINT_BGR)
    for pixel in (INSIDE_GT_ONLY, OUTSIDE):
        np.testing.assert_array_equal(pred_panel[pixel], GREY)
    assert (picture[:H, W] == 255).all()  # the white line between the panels
    # Under the panels, a white band with dark text.
    band = picture[H:]
    assert (band[:2] == 255).all() and (band[-2:] == 255).all()
    assert (band == 255).mean() > 0.5 and (band < 128).any()
    np.testing.assert_array_equal(vis.get_image(), picture[..., ::-1])


def test_the_caption_band_shows_the_expression():
    """Another expression changes the band, not the panels; the same one
    draws the same band."""
    vis = make_visualizer(min_size=0)
    pictures = [vis.draw_referring(*make_sample(text=text))
                for text in ('the red square', 'the blue circle', 'the red square')]
    assert pictures[0].shape == pictures[1].shape
    np.testing.assert_array_equal(pictures[0][:H], pictures[1][:H])
    assert (pictures[0][H:] != pictures[1][H:]).any()
    np.testing.assert_array_equal(pictures[0], pictures[2])
    no_text = vis.draw_referring(*make_sample(text=None))
    assert no_text.shape == (H, 2 * W, 3)  # no band without an expression


def record_caption_lines(vis, monkeypatch) -> list:
    """A list that receives the caption lines ``vis`` draws."""
    drawn_lines = []
    draw_lines = vis.caption_text.draw_lines

    def recording_draw_lines(band, lines, *args, **kwargs):
        drawn_lines.extend(lines)
        return draw_lines(band, lines, *args, **kwargs)

    monkeypatch.setattr(vis.caption_text, 'draw_lines', recording_draw_lines)
    return drawn_lines


def test_an_empty_prediction_is_captioned_no_match_with_the_no_target_score(monkeypatch):
    vis = make_visualizer(min_size=0)
    drawn_lines = record_caption_lines(vis, monkeypatch)
    image, sample = make_sample(text='the blue circle', gt=False)
    vis.draw_referring(image, sample)
    # The narrow band wraps lines (into words, long ones into pieces):
    # compare the characters drawn, spaces aside.

    def drawn():
        return ''.join(drawn_lines).replace(' ', '')

    assert drawn() == '"thebluecircle"'  # a mask: no extra line
    sample.pred_sem_seg = PixelData(data=torch.zeros(1, H, W, dtype=torch.int64))
    drawn_lines.clear()
    vis.draw_referring(image, sample)
    assert drawn() == '"thebluecircle"nomatch'
    sample.set_data(dict(no_target_score=0.66, pred_no_target=True))
    drawn_lines.clear()
    vis.draw_referring(image, sample)
    assert drawn() == '"thebluecircle"nomatch(no-targetscore0.66)'


def test_without_ground_truth_only_the_prediction(tmp_path):
    vis = make_visualizer(min_size=0)
    image, sample = make_sample(gt=False)
    out = tmp_path / 'pic.png'
    vis.add_datasample('sample', image, sample, out_file=str(out))
    picture = read(out)
    assert picture.shape[1] == W and picture.shape[0] > H
    np.testing.assert_array_equal(picture[INSIDE_PRED_ONLY], MAGENTA_TINT_BGR)
    np.testing.assert_array_equal(picture[INSIDE_GT_ONLY], GREY)  # no GT drawn


def test_long_expressions_wrap_into_a_taller_band(tmp_path):
    vis = make_visualizer(min_size=0)
    heights = []
    for text in ('a cat', 'the small grey cat sitting on the left edge of the wooden table '
                 'next to a cup of coffee, behind the laptop and the lamp'):
        image, sample = make_sample(text=text)
        heights.append(vis.draw_referring(image, sample).shape[0])
    assert heights[1] > heights[0] > H


def test_long_expressions_are_cut_after_max_caption_lines(monkeypatch):
    """The band of an expression of 2,000 words is as tall as that of one of
    200: max_caption_lines lines, the last ending in an ellipsis."""
    vis = make_visualizer(min_size=0, max_caption_lines=3)
    drawn_lines = record_caption_lines(vis, monkeypatch)
    pictures = []
    for words in (200, 2000):
        drawn_lines.clear()
        pictures.append(vis.draw_referring(*make_sample(text='cat ' * words, gt=False)))
        assert len(drawn_lines) == 3 and drawn_lines[-1].endswith(ELLIPSIS), drawn_lines
        # The lines are the caption as it begins, up to the cut.
        assert f'"{"cat " * words}'.startswith(' '.join(drawn_lines)[:-len(ELLIPSIS)])
    assert pictures[0].shape == pictures[1].shape


def test_small_images_are_enlarged():
    vis = make_visualizer()  # min_size=256
    image, sample = make_sample()
    picture = vis.draw_referring(image, sample)
    assert picture.shape[1] == 2 * round(W * 256 / H)


def prediction_picture(height: int, width: int, **kwargs) -> np.ndarray:
    """The picture of a prediction alone (no caption) on a height x width image."""
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=torch.ones(1, height, width, dtype=torch.int64))
    return make_visualizer(**kwargs).draw_referring(np.zeros((height, width, 3), np.uint8),
                                                    sample)


@pytest.mark.parametrize('height,width,kwargs,enlarged', [
    # 256 / 2 = 128 would make the long side 51,200; 1000 / 400 = 2.5 is the bound.
    (2, 400, dict(max_size=1000), (5, 1000)),
    # The default bound, 4096: 256 / 100 = 2.56 > 4096 / 3000 = 1.365...
    (100, 3000, {}, (137, 4096)),
    (3000, 100, {}, (4096, 137)),
    # Already longer than the bound: not enlarged, and not shrunk either.
    (10, 5000, {}, (10, 5000)),
    # Far from the bound: the shorter side reaches min_size, as before.
    (50, 100, {}, (256, 512)),
])
def test_enlarging_stops_at_the_long_side_bound(height, width, kwargs, enlarged):
    assert prediction_picture(height, width, **kwargs).shape == (*enlarged, 3)


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
    """Pixel for pixel what mmseg's own SegLocalVisualizer draws."""
    from mmseg.visualization import SegLocalVisualizer
    classes = ('background', 'circle', 'square', 'triangle')
    palette = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]
    vis = make_visualizer(classes=classes, palette=palette)
    image, sample = make_sample(text=None)
    sample.gt_sem_seg.data[:, 0:5, 0:5] = 3
    out = tmp_path / 'pic.png'
    vis.add_datasample('semantic', image, sample, out_file=str(out))
    mmseg_vis = SegLocalVisualizer(name=f'mmseg_vis_test_{next(_names)}', alpha=0.5)
    mmseg_vis.set_dataset_meta(classes=classes, palette=palette)
    mmseg_out = tmp_path / 'mmseg.png'
    mmseg_vis.add_datasample('semantic', image, sample, out_file=str(mmseg_out))
    picture = read(out)
    assert picture.shape == (H, 2 * W, 3)  # no enlarging, no caption
    np.testing.assert_array_equal(picture, read(mmseg_out))


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


def test_wrapping_into_at_most_max_lines():
    text, size = UnicodeText(), 20
    width = text.width('one two', size)
    assert text.wrap('one two six ten', size, width) == ['one two', 'six ten']
    assert text.wrap('one two six ten', size, width, max_lines=2) == ['one two', 'six ten']
    # A third line would be needed: the second is cut to end in an ellipsis
    # that still fits, and keeps what of 'six ten' fits before it.
    cut = text.wrap('one two six ten red', size, width, max_lines=2)
    assert cut[0] == 'one two' and cut[1].endswith(ELLIPSIS) and cut[1] != ELLIPSIS
    assert 'six ten'.startswith(cut[1][:-1]) and text.width(cut[1], size) <= width
    # Lines broken between characters are cut alike.
    assert text.wrap('左边的猫在桌子上', size, 3 * size, max_lines=1)[0][-1] == ELLIPSIS
    assert text.wrap('', size, width, max_lines=1) == ['']

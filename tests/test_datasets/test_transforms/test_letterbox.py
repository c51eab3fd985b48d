"""The reference letterbox and its inverse."""
import numpy as np
import pytest

from mmris.datasets.transforms import PackRISInputs, RISLetterbox, letterbox_matrices

# OpenAI CLIP's pixel mean (0.48145466, 0.4578275, 0.40821073) x 255, rounded:
# the reference ETRIS pads with it (its borderValue).
CLIP_MEAN_RGB_UINT8 = [123, 117, 104]


@pytest.mark.parametrize('shape', [(300, 500), (500, 300), (416, 416)])
def test_matrices_scale_centre_and_invert(shape):
    forward, inverse = letterbox_matrices(shape, 416)
    h, w = shape
    scale = min(416 / h, 416 / w)
    expected = np.array([[scale, 0, (416 - w * scale) / 2], [0, scale, (416 - h * scale) / 2]])
    np.testing.assert_allclose(forward, expected, atol=1e-4)
    np.testing.assert_allclose(np.vstack([inverse, [0, 0, 1]]) @ np.vstack([forward, [0, 0, 1]]),
                               np.eye(3), atol=1e-5)


def test_image_border_is_clip_mean_and_mask_soft():
    img = np.full((20, 40, 3), 255, np.uint8)
    mask = np.zeros((20, 40), np.uint8)
    mask[5:15, 10:30] = 1
    results = RISLetterbox(size=64)(dict(img=img, gt_seg_map=mask, ori_shape=(20, 40)))
    assert results['img'].shape == (64, 64, 3) and results['img_shape'] == (64, 64)
    # BGR image: the border is the CLIP mean in BGR order
    np.testing.assert_array_equal(results['img'][0, 0], CLIP_MEAN_RGB_UINT8[::-1])
    soft = results['gt_seg_map']
    assert soft.dtype == np.float32 and soft.max() == 1.0 and 0 < soft[soft > 0].min() < 1
    assert results['inverse_affine_matrix'].shape == (2, 3)


def test_border_colour_and_channel_order_options():
    img = np.zeros((20, 40, 3), np.uint8)
    rgb = RISLetterbox(size=64, channel_order='rgb')(dict(img=img.copy(), ori_shape=(20, 40)))
    np.testing.assert_array_equal(rgb['img'][0, 0], CLIP_MEAN_RGB_UINT8)
    grey = RISLetterbox(size=64, fill_rgb=(10, 20, 30))(dict(img=img.copy(), ori_shape=(20, 40)))
    np.testing.assert_array_equal(grey['img'][0, 0], [30, 20, 10])  # BGR image
    with pytest.raises(ValueError, match="channel_order must be 'bgr' or 'rgb'"):
        RISLetterbox(channel_order='hsv')


def test_pack_keeps_text_matrices_and_float_mask():
    results = RISLetterbox(size=32)(dict(img=np.zeros((10, 20, 3), np.uint8), ori_shape=(10, 20),
                                         gt_seg_map=np.ones((10, 20), np.uint8), text='a dog'))
    packed = PackRISInputs()(results)
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 32, 32)
    assert sample.metainfo['text'] == 'a dog'
    assert sample.metainfo['inverse_affine_matrix'].shape == (2, 3)
    assert sample.gt_sem_seg.data.dtype.is_floating_point


def test_pack_without_text_names_the_key():
    with pytest.raises(KeyError, match="results\\['text'\\]"):
        PackRISInputs()(dict(img=np.zeros((4, 4, 3), np.uint8), img_path='a.jpg'))

"""RISRandomFlip flips the image and mask and keeps the expression true."""
import numpy as np

from mmris.datasets.transforms import RISRandomFlip, swap_left_right


def test_swap_words_only():
    assert swap_left_right('Left man, right of the leftmost car') == \
        'Right man, left of the rightmost car'
    assert swap_left_right('the bright light left') == 'the bright light right'


def test_flip_applies_to_all_three():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    mask = np.array([[1, 0, 0], [1, 0, 0]], np.uint8)
    out = RISRandomFlip(prob=1.)(dict(img=img.copy(), gt_seg_map=mask.copy(), text='the left one'))
    np.testing.assert_array_equal(out['img'], img[:, ::-1])
    np.testing.assert_array_equal(out['gt_seg_map'], mask[:, ::-1])
    assert out['text'] == 'the right one' and out['flip']
    kept = RISRandomFlip(prob=0.)(dict(img=img.copy(), text='the left one'))
    assert kept['text'] == 'the left one' and not kept['flip']

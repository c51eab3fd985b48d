"""PackRISInputs: the expression in the metainfo, boxes for box metrics."""
import numpy as np
import pytest
import torch

from mmris.datasets.transforms import PackRISInputs


def _results(**extra):
    return dict(img=np.zeros((4, 6, 3), np.uint8), text='the red circle', img_path='a.jpg',
                ori_shape=(4, 6), img_shape=(4, 6), **extra)


def test_boxes_are_packed_as_gt_instances():
    boxes = np.array([[1., 2., 5., 4.]], np.float32)
    sample = PackRISInputs().transform(_results(gt_bboxes=boxes))['data_samples']
    assert sample.text == 'the red circle'
    assert torch.equal(sample.gt_instances.bboxes, torch.tensor([[1., 2., 5., 4.]]))
    assert 'gt_instances' not in PackRISInputs().transform(_results())['data_samples']


def test_a_sample_without_its_expression_is_refused():
    results = _results()
    results.pop('text')
    with pytest.raises(KeyError, match="results\\['text'\\]"):
        PackRISInputs().transform(results)

"""score_baselines: each baseline evaluated by its own copy of the config's
evaluator, checked against IoU counted by hand."""
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.evaluation import format_scores, score_baselines


def test_each_baseline_gets_its_own_evaluator_and_is_scored_by_it():
    # Two 2x2 label maps over classes 0 and 1.
    gts = [torch.tensor([[0, 0], [1, 1]]), torch.tensor([[0, 1], [1, 1]])]

    def predict(index):
        gt = PixelData(data=gts[index][None])
        constant = {'all zeros': 0, 'all ones': 1}
        return {name: SegDataSample(gt_sem_seg=gt, pred_sem_seg=PixelData(
            data=torch.full((1, 2, 2), fill))).to_dict() for name, fill in constant.items()}

    scores = score_baselines(('all zeros', 'all ones'), dict(type='mmseg.IoUMetric'),
                             dict(classes=('a', 'b')), len(gts), predict)

    # By hand over the 8 pixels (3 of class 0, 5 of class 1): predicting
    # class c everywhere gives IoU(c) = count(c) / 8 and IoU(other) = 0.
    assert list(scores) == ['all zeros', 'all ones']
    assert abs(scores['all zeros']['mIoU'] - 100 * (3 / 8) / 2) < 0.01
    assert abs(scores['all ones']['mIoU'] - 100 * (5 / 8) / 2) < 0.01
    assert abs(scores['all ones']['aAcc'] - 100 * 5 / 8) < 0.01

    lines = format_scores(scores).splitlines()
    assert lines[0].startswith('all zeros: aAcc 37.50  mIoU 18.75')
    assert lines[1].startswith('all ones: aAcc 62.50  mIoU 31.25')


def test_format_scores_leaves_out_text_values():
    text = format_scores({'box': {'bbox_mAP': 0.123456, 'bbox_mAP_copypaste': '0.123 0.5'}}, 3)
    assert text == 'box: bbox_mAP 0.123'

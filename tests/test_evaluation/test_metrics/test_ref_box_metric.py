"""RefBoxMetric: Acc@t and mean box IoU of the best box (or the mask's box)
against the referred box, computed by hand."""
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.evaluator import Evaluator

from mmris.evaluation import RefBoxMetric, RISMetric
from mmris.evaluation.metrics.ref_box_metric import mask_box

GT = torch.tensor([[10., 10., 30., 30.]])  # 20 x 20


def _detection(boxes, scores, gt=GT):
    return dict(gt_instances=dict(bboxes=HorizontalBoxes(gt)),
                pred_instances=dict(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                    scores=torch.tensor(scores, dtype=torch.float32)))


def _segmentation(mask, gt=GT):
    return dict(gt_instances=dict(bboxes=gt), pred_sem_seg=dict(data=mask[None]))


def test_best_box_iou_by_hand():
    metric = RefBoxMetric(iou_thrs=(0.5, 0.7))
    metric.process(None, [
        # the best-scoring box is the GT itself: IoU 1 (the other one would be 0)
        _detection([[50., 50., 60., 60.], [10., 10., 30., 30.]], [0.2, 0.9]),
        # 20 x 10 inside the GT: IoU 200 / 400 = 0.5
        _detection([[10., 10., 30., 20.]], [0.5]),
        # shifted by 10: intersection 10 x 20 = 200, union 600: IoU 1/3
        _detection([[20., 10., 40., 30.]], [0.5]),
        # no box at all
        _detection([], []),
    ])
    results = metric.compute_metrics(metric.results)
    assert results['Acc@0.5'] == pytest.approx(50.)
    assert results['Acc@0.7'] == pytest.approx(25.)
    assert results['mIoU'] == pytest.approx(100 * (1 + 0.5 + 1 / 3 + 0) / 4)


def test_mask_box_spans_pixel_edges_and_empty_masks_miss():
    mask = torch.zeros(40, 50, dtype=torch.long)
    mask[10:30, 10:30] = 1  # rows and columns 10..29: the box 10, 10, 30, 30
    assert mask_box(mask).tolist() == [10., 10., 30., 30.]
    assert mask_box(torch.zeros(1, 5, 5)) is None
    metric = RefBoxMetric()
    metric.process(None, [_segmentation(mask), _segmentation(torch.zeros_like(mask))])
    results = metric.compute_metrics(metric.results)
    assert results['Acc@0.5'] == pytest.approx(50.) and results['mIoU'] == pytest.approx(50.)


def test_results_are_prefixed_to_sit_beside_the_ris_metric():
    evaluator = Evaluator([RISMetric(), RefBoxMetric()])
    mask = torch.zeros(40, 50, dtype=torch.long)
    mask[10:30, 10:30] = 1
    sample = dict(_segmentation(mask), gt_sem_seg=dict(data=mask[None]))
    evaluator.process([sample])
    metrics = evaluator.evaluate(1)
    assert metrics['box/Acc@0.5'] == pytest.approx(100.) and metrics['mIoU'] == pytest.approx(100.)


def test_a_sample_without_its_referred_box_is_refused():
    metric = RefBoxMetric()
    with pytest.raises(ValueError, match='gt_instances.bboxes'):
        metric.process(None, [dict(pred_instances=dict(bboxes=GT, scores=torch.ones(1)))])
    with pytest.raises(KeyError, match='pred_instances'):
        metric.process(None, [dict(gt_instances=dict(bboxes=GT))])


def test_the_etris_demo_is_scored_by_the_boxes_of_its_masks(refcoco_root, tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmris.engine import Runner
    init_default_scope('mmris')
    cfg = Config.fromfile('configs/demo/etris_tiny_synthetic_refcoco_box-acc.py')
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False, batch_size=4)
    cfg.test_dataloader.dataset.data_root = str(refcoco_root)
    cfg.work_dir = str(tmp_path)
    dataset = Runner.build_dataloader(cfg.test_dataloader).dataset
    sample = dataset[0]['data_samples']
    x1, y1, x2, y2 = sample.gt_instances.bboxes[0].tolist()
    assert sample.gt_sem_seg.shape == sample.ori_shape  # not letterboxed
    rows, cols = sample.gt_sem_seg.data[0].nonzero(as_tuple=True)
    # The annotation's box is the extent of its mask at the original size.
    assert (x1, y1, x2, y2) == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
    metrics = Runner.from_cfg(cfg).test()
    assert {'mIoU', 'box/Acc@0.5', 'box/mIoU'} <= set(metrics)

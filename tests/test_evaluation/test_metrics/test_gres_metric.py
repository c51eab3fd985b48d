"""GRESMetric: a hand computation, agreement with mmdet's gRefCOCOMetric
where the two overlap (no-target decisions from boxes), per-set tables."""
import json

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmseg.structures import SegDataSample

from mmris.evaluation import GRESMetric


def sample(pred, gt, no_target=None, pred_no_target=None, eval_set=None) -> SegDataSample:
    data = SegDataSample()
    data.pred_sem_seg = PixelData(data=torch.as_tensor(np.asarray(pred), dtype=torch.int64)[None])
    data.gt_sem_seg = PixelData(data=torch.as_tensor(np.asarray(gt), dtype=torch.int64)[None])
    meta = {} if no_target is None else dict(no_target=no_target)
    if eval_set is not None:
        meta['eval_set'] = eval_set
    data.set_metainfo(meta)
    if pred_no_target is not None:
        data.pred_no_target = pred_no_target
    return data


def first(n, shape=(4, 4)):
    mask = np.zeros(int(np.prod(shape)), np.int64)
    mask[:n] = 1
    return mask.reshape(shape)


def evaluate(samples, **kwargs) -> dict:
    metric = GRESMetric(**kwargs)
    metric.process({}, [s.to_dict() for s in samples])
    return metric.evaluate(len(samples))


def test_hand_computation():
    shifted = np.roll(first(4), 1)  # pixels 1..4: 3 of them in first(4)
    samples = [
        # targeted, I=3 U=5, IoU 0.6
        sample(shifted, first(4)),
        # targeted, prediction equals gt, IoU 1
        sample(first(6), first(6)),
        # targeted, predicted no-target by the head: mask counts as empty: I=0 U=8
        sample(first(8), first(8), pred_no_target=True),
        # no-target, predicted empty: IoU 1, U=0
        sample(first(0), first(0), no_target=True),
        # no-target, 2 px predicted: IoU 0, U=2
        sample(first(2), first(0), no_target=True),
        # no-target, flag absent: an empty gt is no-target; head says no-target: IoU 1
        sample(first(5), first(0), pred_no_target=True),
    ]
    scores = evaluate(samples)
    assert scores['gIoU'] == pytest.approx(100 * (0.6 + 1 + 0 + 1 + 0 + 1) / 6)
    assert scores['cIoU'] == pytest.approx(100 * (3 + 6) / (5 + 6 + 8 + 0 + 2 + 0))
    assert scores['N-acc'] == pytest.approx(100 * 2 / 3)
    assert scores['T-acc'] == pytest.approx(100 * 2 / 3)
    assert scores['Pr@0.7'] == pytest.approx(100 / 3)
    assert scores['Pr@0.9'] == pytest.approx(100 / 3)
    assert scores['mIoU'] == pytest.approx(100 * 1.6 / 3)
    assert scores['oIoU'] == pytest.approx(100 * 9 / 19)


def test_worked_example_of_the_docs():
    samples = [sample(first(4), first(3)), sample(first(0), first(0), no_target=True),
               sample(first(2), first(0), no_target=True)]
    scores = evaluate(samples)
    assert [round(scores[k], 2) for k in ('gIoU', 'cIoU', 'N-acc', 'T-acc', 'Pr@0.7')] == \
        [58.33, 50.0, 50.0, 100.0, 100.0]


def test_without_no_target_samples_giou_and_ciou_are_ris_metrics_miou_and_oiou():
    from mmris.evaluation import RISMetric
    rng = np.random.default_rng(0)
    samples = [sample(rng.integers(0, 2, (5, 6)), first(3 + i, (5, 6))) for i in range(6)]
    ris = RISMetric()
    ris.process({}, [s.to_dict() for s in samples])
    expected = ris.evaluate(len(samples))
    scores = evaluate(samples)
    assert 'N-acc' not in scores and 'T-acc' not in scores
    assert scores['gIoU'] == pytest.approx(expected['mIoU'])
    assert scores['cIoU'] == pytest.approx(expected['oIoU'])


def test_per_set_metrics_and_table():
    samples = [sample(first(4), first(4), eval_set='refcoco(unc)/val'),
               sample(first(0), first(2), eval_set='refcoco(unc)/val'),
               sample(first(0), first(0), no_target=True, eval_set='grefcoco(unc)/val')]
    scores = evaluate(samples)
    assert scores['refcoco(unc)/val/mIoU'] == pytest.approx(50)
    assert 'refcoco(unc)/val/N-acc' not in scores
    assert scores['grefcoco(unc)/val/N-acc'] == pytest.approx(100)
    # a set of no-target samples alone has no targeted figures (not zeros)
    for name in ('T-acc', 'Pr@0.7', 'mIoU', 'oIoU'):
        assert f'grefcoco(unc)/val/{name}' not in scores
    assert scores['T-acc'] == pytest.approx(50)  # the empty prediction counts as no-target
    assert scores['gIoU'] == pytest.approx(100 * 2 / 3)


def box_mask(box, shape=(40, 40)):
    mask = np.zeros(shape, np.int64)
    if box is not None:
        x1, y1, x2, y2 = box
        mask[y1:y2, x1:x2] = 1
    return mask


def test_no_target_accuracies_agree_with_mmdet_grefcoco_metric(tmp_path):
    metric_module = pytest.importorskip('mmdet.evaluation.metrics.grefcoco_metric')
    # (gt box or None for no target, predicted boxes with scores)
    cases = [
        ((2, 2, 12, 12), [((2, 2, 12, 12), 0.9)]),
        ((2, 2, 12, 12), [((20, 20, 30, 30), 0.8)]),
        ((5, 5, 25, 25), [((5, 5, 25, 25), 0.5)]),  # below the score threshold: none
        (None, []),
        (None, [((1, 1, 9, 9), 0.95)]),
        (None, [((1, 1, 9, 9), 0.3)]),
        ((0, 0, 30, 30), []),
    ]
    images = [dict(id=i + 1, file_name=f'{i}.jpg', height=40, width=40) for i in range(len(cases))]
    annotations = [dict(id=i + 1, image_id=i + 1, iscrowd=0,
                        category_id=-1 if gt is None else 1,
                        bbox=[0, 0, 0, 0] if gt is None else [gt[0], gt[1], gt[2] - gt[0],
                                                               gt[3] - gt[1]],
                        area=0 if gt is None else (gt[2] - gt[0]) * (gt[3] - gt[1]))
                   for i, (gt, _) in enumerate(cases)]
    ann_file = tmp_path / 'grefcoco_instances.json'
    ann_file.write_text(json.dumps(dict(images=images, annotations=annotations,
                                        categories=[dict(id=1, name='object')])))
    mmdet_metric = metric_module.gRefCOCOMetric(ann_file=str(ann_file), thresh_score=0.7)
    ours = []
    for i, (gt, predictions) in enumerate(cases):
        boxes = torch.tensor([box for box, _ in predictions], dtype=torch.float32).reshape(-1, 4)
        scores = torch.tensor([score for _, score in predictions], dtype=torch.float32)
        mmdet_metric.process({}, [dict(img_id=i + 1, pred_instances=InstanceData(
            bboxes=boxes, scores=scores))])
        kept = [box for box, score in predictions if score >= 0.7]
        pred = np.zeros((40, 40), np.int64)
        for box in kept:
            pred |= box_mask(box)
        ours.append(sample(pred, box_mask(gt), no_target=gt is None))
    expected = mmdet_metric.evaluate(len(cases))
    scores = evaluate(ours)
    assert scores['N-acc'] == pytest.approx(100 * expected['grefcoco/N_acc'])
    assert scores['T-acc'] == pytest.approx(100 * expected['grefcoco/T_acc'])

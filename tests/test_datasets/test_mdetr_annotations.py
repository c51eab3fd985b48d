"""MDETR-style annotations of a gRefCOCO split, read by mmdet's own
MDETRStyleRefCocoDataset and scored by its gRefCOCOMetric."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from mmris.datasets import GRefCOCODataset
from mmris.datasets.mdetr_annotations import write_mdetr_annotations
from mmris.synthetic import generate_synthetic_grefcoco


@pytest.fixture(scope='module')
def val_split(tmp_path_factory):
    root = tmp_path_factory.mktemp('grefcoco_boxes')
    generate_synthetic_grefcoco(str(root), num_images=20, size=48, seed=4)
    dataset = GRefCOCODataset(data_root=str(root), split='val', mode='test', pipeline=[])
    out = root / 'mdetr_val.json'
    counts = write_mdetr_annotations(dataset, str(out))
    return dataset, out, counts


def test_mmdet_reads_every_expression_with_its_boxes(val_split):
    from mmdet.datasets import MDETRStyleRefCocoDataset
    dataset, out, counts = val_split
    with DefaultScope.overwrite_default_scope('mmdet'):
        mdetr = MDETRStyleRefCocoDataset(ann_file=str(out), data_prefix=dict(img=''),
                                         test_mode=True, pipeline=[])
    assert len(mdetr) == len(dataset) == counts['expressions']
    for index in range(len(dataset)):
        ours, theirs = dataset.get_data_info(index), mdetr.get_data_info(index)
        assert theirs['text'] == ours['text']
        boxes = [instance['bbox'] for instance in theirs['instances']]
        if ours['no_target']:
            assert [i['bbox_label'] for i in theirs['instances']] == [-1]
        else:
            expected = [instance['bbox'] for instance in ours['instances']]
            assert len(boxes) == len(expected) > 0
            assert sum(boxes, []) == pytest.approx(sum(expected, []))
    assert counts['no-target'] == sum(dataset.get_data_info(i)['no_target']
                                      for i in range(len(dataset))) > 0


def test_grefcoco_metric_on_the_true_boxes(val_split):
    # mmdet 3.3's gRefCOCOMetric compares the predictions with the first
    # annotation of each expression only (loadAnns(ann_ids[0])), so the true
    # boxes of a multi-target expression count as false positives: its F1
    # is 1 exactly on the expressions with at most one target.
    from mmdet.evaluation.metrics.grefcoco_metric import gRefCOCOMetric
    dataset, out, _ = val_split
    metric = gRefCOCOMetric(ann_file=str(out))
    for index in range(len(dataset)):
        boxes = [instance['bbox'] for instance in dataset.get_data_info(index)['instances']]
        metric.process({}, [dict(img_id=index + 1, pred_instances=InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.ones(len(boxes))))])
    scores = metric.evaluate(len(dataset))
    assert scores['grefcoco/N_acc'] == scores['grefcoco/T_acc'] == 1.0
    single = [len(dataset.get_data_info(i)['instances']) <= 1 for i in range(len(dataset))]
    assert 0 < sum(single) < len(single)
    assert scores['grefcoco/F1_score'] == pytest.approx(sum(single) / len(single))

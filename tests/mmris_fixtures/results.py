"""Test results as ``tools/test.py --out`` dumps them, written by hand."""
import numpy as np
import torch
from mmengine.evaluator import DumpResults
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

#: Height and width of the samples' original images.
H, W = 30, 40


def band_sample(img_path, text, pred_cols, gt_cols=(10, 20)) -> SegDataSample:
    """A SegDataSample as ETRIS outputs it in a test run, (1, H, W) masks:
    the prediction is rows 5-24 of columns ``pred_cols`` (start, end), the
    ground truth the same rows of ``gt_cols``; ``pred_prob`` is the
    prediction as float."""
    gt = torch.zeros(1, H, W, dtype=torch.int64)
    gt[:, 5:25, gt_cols[0]:gt_cols[1]] = 1
    pred = torch.zeros(1, H, W, dtype=torch.int64)
    pred[:, 5:25, pred_cols[0]:pred_cols[1]] = 1
    data_sample = SegDataSample(metainfo=dict(
        img_path=str(img_path), text=text, ori_shape=(H, W), img_shape=(64, 64),
        affine_matrix=np.eye(2, 3), inverse_affine_matrix=np.eye(2, 3)))
    data_sample.gt_sem_seg = PixelData(data=gt)
    data_sample.pred_sem_seg = PixelData(data=pred)
    data_sample.pred_prob = PixelData(data=pred.float())
    return data_sample


def dump_results(samples, path) -> None:
    """Write ``samples`` exactly as tools/test.py --out does (DumpResults)."""
    metric = DumpResults(out_file_path=str(path))
    metric.process({}, [s.to_dict() for s in samples])
    metric.compute_metrics(metric.results)

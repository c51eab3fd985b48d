"""LossRecorder keeps what a validation reports as plain numbers."""
import json

import numpy as np
import torch

from mmris.engine.device_check.short_training import LossRecorder


def test_metrics_of_numpy_and_torch_scalars_go_into_json():
    recorder = LossRecorder()
    # mmseg's IoUMetric gives numpy float32s, other metrics tensors or floats.
    recorder.after_val_epoch(None, dict(aAcc=np.float32(83.59), top1=torch.tensor(25.0),
                                        mAP=0.5, name='coco'))
    assert json.loads(json.dumps(recorder.metrics)) == dict(
        aAcc=float(np.float32(83.59)), top1=25.0, mAP=0.5, name='coco')
    recorder.after_train_iter(None, 0, outputs=dict(loss=torch.tensor(1.5)))
    assert recorder.losses == [1.5]

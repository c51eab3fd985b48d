"""A Mask R-CNN test step through mmcv's compiled ops (RoIAlign, NMS), with
the cause named when those ops were built without CUDA."""
from typing import Dict

import torch
from mmengine.config import Config

#: What to do when mmcv's ops lack CUDA.
REBUILD_HINT = ('rebuild mmcv with CUDA: remove its cached wheel (~/.cache/mmris/wheels) and '
                'run tools/setup_env.sh with nvcc on PATH')


def mmcv_ops_cuda_version() -> str:
    """The CUDA version mmcv's compiled ops were built with, or ``'not
    available'`` (mmcv built for CPUs only)."""
    from mmcv.ops import get_compiling_cuda_version
    return get_compiling_cuda_version()


def mask_rcnn_test(cfg: Config, device: str, size: int = 320) -> Dict:
    """Build ``cfg``'s detector (random weights) on ``device`` and run one
    ``test_step`` on a random ``size`` x ``size`` image, which runs mmcv's
    RoIAlign and NMS on that device.

    Returns:
        dict: ``status`` ('ok' or 'fail'), ``mmcv_cuda`` (see
        :func:`mmcv_ops_cuda_version`), ``detections`` (boxes kept) and
        ``masks`` (their mask shape), or ``cause`` of the failure.
    """
    from mmdet.structures import DetDataSample
    from mmengine.registry import MODELS, init_default_scope
    cuda_version = mmcv_ops_cuda_version()
    result = dict(mmcv_cuda=cuda_version)
    if device == 'cuda' and cuda_version == 'not available':
        return dict(result, status='fail',
                    cause=f'mmcv\'s compiled ops were built without CUDA; {REBUILD_HINT}')
    init_default_scope(cfg.get('default_scope', 'mmris'))
    model = MODELS.build(cfg.model).to(device).eval()
    image = torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                          generator=torch.Generator().manual_seed(0))
    sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                         scale_factor=(1.0, 1.0)))
    try:
        with torch.no_grad():
            output, = model.test_step(dict(inputs=[image], data_samples=[sample]))
    except RuntimeError as error:
        if 'compiled with GPU' in str(error) or 'not compiled with' in str(error):
            return dict(result, status='fail', cause=f'{error}; {REBUILD_HINT}')
        raise
    instances = output.pred_instances
    return dict(result, status='ok', detections=len(instances),
                masks=list(instances.masks.shape[1:]) if 'masks' in instances else None)

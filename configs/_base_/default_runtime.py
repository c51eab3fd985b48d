# Runtime shared by every mmris config: scope, environment, hooks, logging.
default_scope = 'mmris'
# mmris' Runner under any tool, mmseg's and mmdet's own tools/train.py too:
# CPU distributed runs, weights-only checkpoints, parts checked at build.
runner_type = 'mmris.Runner'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl on GPUs; mmris.Runner switches to gloo on a machine without CUDA.
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
# RISLocalVisualizer draws a referring sample as GT | prediction with the
# expression as caption, and anything else (e.g. semantic segmentation
# classes) as mmseg's SegLocalVisualizer does; RISVisualizationHook names each picture
# <image>_<index>_<expression>, one per sample (tools/test.py --show-dir).
visualizer = dict(type='mmris.RISLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='mmris.RISVisualizationHook'))

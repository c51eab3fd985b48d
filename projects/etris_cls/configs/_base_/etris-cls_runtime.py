# The classification project's runtime: mmris' (scope, CPU-or-GPU
# distributed set-up, logging) with this project's package imported by
# custom_imports, the model's class list checked against each dataset's,
# and mmengine's plain visualizer (no picture per sample).
_base_ = ['../../../../configs/_base_/default_runtime.py']
custom_imports = dict(imports=['projects.etris_cls.etris_cls'], allow_failed_imports=False)
custom_hooks = [dict(type='ClassVocabularyHook')]
default_hooks = dict(
    _delete_=True,
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
visualizer = dict(_delete_=True, type='Visualizer', vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')

# mmseg's 80k-iteration schedule with the optimiser of the ETRIS
# semantic-segmentation configs: AdamW over the trainable parts (Bridger,
# positional embeddings, neck, head), fp16 AMP on GPUs (fp32 on CPU, see
# mmris.Runner), poly decay to 0. The Bridger has its own parameter group.
_base_ = ['mmseg::_base_/schedules/schedule_80k.py']
optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=2e-4, betas=(0.9, 0.999), weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'bridger': dict(lr_mult=1.0)}))
param_scheduler = [dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=80000, by_epoch=False)]

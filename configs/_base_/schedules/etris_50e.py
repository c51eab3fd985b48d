_base_ = ['../default_runtime.py']

# ETRIS' referring schedule, the reference's: Adam lr 1e-4, no weight decay,
# 50 epochs, lr x0.1 at epoch 35, fp16 AMP (on a machine without CUDA mmris.Runner trains in
# fp32), no gradient clipping; batch 32 in total (e.g. 8 GPUs x 4).
# The Bridger's parameters form their own group: the paper trains the ViT
# Bridger at 1e-3, i.e. --cfg-options optim_wrapper.paramwise_cfg.custom_keys.bridger.lr_mult=10
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='Adam', lr=1e-4, weight_decay=0.),
    paramwise_cfg=dict(custom_keys={'bridger': dict(lr_mult=1.0)}))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=50, milestones=[35], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
auto_scale_lr = dict(enable=False, base_batch_size=32)

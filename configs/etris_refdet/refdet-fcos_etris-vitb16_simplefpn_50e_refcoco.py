_base_ = [
    '../_base_/models/refdet-fcos_etris-vitb16_simplefpn.py',
    '../_base_/datasets/refcoco_detection.py', '../_base_/etris_det_runtime.py'
]
# ETRIS' schedule: Adam lr 1e-4, 50 epochs, lr x0.1 at epoch 35, fp16 AMP
# (fp32 where there is no GPU), batch 32 in total (2 GPUs x 16).
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='Adam', lr=1e-4, weight_decay=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=50, milestones=[35], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(max_keep_ckpts=3, save_best='box/Acc@0.5', rule='greater'))
auto_scale_lr = dict(enable=False, base_batch_size=32)

# mmdet's 1x schedule (12 epochs, lr x0.1 after epochs 8 and 11, linear
# warm-up) with AdamW, as for transformer backbones: what trains is the
# Bridger, the positional embeddings, the neck and the heads.
_base_ = ['mmdet::_base_/schedules/schedule_1x.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=35, norm_type=2))

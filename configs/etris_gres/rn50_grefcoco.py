# ETRIS RN50 on gRefCOCO, with the no-target head (docs/gres.md): the bases of
# configs/etris/rn50_refcoco.py with the gRefCOCO data in place of RefCOCO,
# and a NoTargetHead reading the neck's 512-channel map and RN50's 1024-wide
# sentence.
_base_ = [
    '../_base_/models/etris_rn50.py', '../_base_/datasets/grefcoco.py',
    '../_base_/schedules/etris_50e.py'
]
model = dict(no_target_head=dict(
    type='mmris.NoTargetHead', in_channels={{_base_.neck_channels}},
    text_channels={{_base_.clip_rn50_text_channels}}))

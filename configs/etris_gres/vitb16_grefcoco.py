# ETRIS ViT-B/16 on gRefCOCO, with the no-target head (docs/gres.md): the
# bases of configs/etris/vitb_refcoco.py with the gRefCOCO data in place of
# RefCOCO, and a NoTargetHead reading the neck's 512-channel map and the
# 512-wide sentence.
_base_ = [
    '../_base_/models/etris_vitb16.py', '../_base_/datasets/grefcoco.py',
    '../_base_/schedules/etris_50e.py'
]
model = dict(no_target_head=dict(
    type='mmris.NoTargetHead', in_channels={{_base_.neck_channels}},
    text_channels={{_base_.text_channels}}))

_base_ = [
    '../_base_/models/etris_rn101.py', '../_base_/datasets/refcocog_umd.py',
    '../_base_/schedules/etris_50e.py'
]
# G-Ref expressions are longer: 22 tokens, as the reference.
model = dict(backbone=dict(text_encoder=dict(text_length=22)))

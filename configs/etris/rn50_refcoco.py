_base_ = [
    '../_base_/models/etris_rn50.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/etris_50e.py'
]

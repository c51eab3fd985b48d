# The ETRIS demo model (etris_tiny_synthetic_refcoco.py) scored as a
# referring detector: the bounding box of each predicted mask against the
# referred object's box (RefBoxMetric, Acc@0.5), beside its RIS metrics; the
# baseline of the referring detection demo.
#   python tools/test.py configs/demo/etris_tiny_synthetic_refcoco_box-acc.py CKPT
_base_ = ['./etris_tiny_synthetic_refcoco.py']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadRISAnnotations'),
    # The referred box at the original size, packed as gt_instances.bboxes.
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_label=False, box_type=None),
    dict(type='RISLetterbox', size=_base_.input_size, warp_mask=False),
    dict(type='PackRISInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_evaluator = [dict(type='RISMetric'), dict(type='RefBoxMetric')]

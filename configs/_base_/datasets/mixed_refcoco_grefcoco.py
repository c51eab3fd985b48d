# mixed_refcoco.py with gRefCOCO as well: the train splits of RefCOCO,
# RefCOCO+, RefCOCOg (umd) and gRefCOCO, without the images of any evaluated
# split; validation scores the four val splits, a test run every val and test
# split (gRefCOCO's val, testA and testB included).
_base_ = ['./mixed_refcoco.py']
train_dataloader = dict(dataset=dict(datasets={{_base_._train_sets_grefcoco}},
                                     held_out={{_base_._eval_sets_grefcoco}}))
val_dataloader = dict(dataset=dict(datasets={{_base_._val_sets_grefcoco}}))
test_dataloader = dict(dataset=dict(datasets={{_base_._eval_sets_grefcoco}}))

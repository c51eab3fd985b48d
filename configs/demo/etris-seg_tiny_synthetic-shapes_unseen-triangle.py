# Open vocabulary on the shapes set: 'triangle' is held out of training (its
# pixels are ignored, and the model's vocabulary does not name it); the test
# set has all four classes. Test with the full vocabulary:
#   python tools/test.py configs/demo/etris-seg_tiny_synthetic-shapes_unseen-triangle.py CKPT \
#       --cfg-options "model.backbone.classes=['background','circle','square','triangle']" \
#       model.decode_head.num_classes=4
_base_ = ['./etris-seg_tiny_synthetic-shapes.py']
seen = ['background', 'circle', 'square']
model = dict(backbone=dict(classes=seen), decode_head=dict(num_classes=len(seen)))
train_dataloader = dict(dataset=dict(metainfo=dict(classes=seen)))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=seen)))

# ETRIS for classification with CLIP ViT-B/16, on mmris' semantic-segmentation
# model base: its Bridger backbone in vocabulary mode (the class names, in
# prompt templates, are the text) without the neck and decode head. The
# backbone gives each image its pooled embedding (the class token after
# ln_post and proj) and its own K class embeddings, which TextScoredClsHead
# scores CLIP-style with a learned logit scale. A config using this sets
# model.backbone.classes, out_pooled=True and out_indices=() (no maps).
# Put OpenAI's ViT-B-16.pt at pretrain/ or point clip_weights at it.
_base_ = ['../../../../../configs/_base_/models/etris-seg_vitb16.py']
model = dict(
    _delete_=True,
    type='mmris.ETRISClassifier',
    data_preprocessor=dict(
        type='mmengine.ImgDataPreprocessor',
        mean={{_base_.model.data_preprocessor.mean}},
        std={{_base_.model.data_preprocessor.std}},
        bgr_to_rgb=True),
    backbone={{_base_.model.backbone}},
    head=dict(type='mmris.TextScoredClsHead'))

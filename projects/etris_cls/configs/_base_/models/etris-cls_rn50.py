# ETRIS for classification with CLIP RN50 (see etris-cls_vitb16.py), on
# mmris' RN50 semantic-segmentation model base: the pooled embedding is
# OpenAI's attention-pool output over the Bridger-corrected layer4 map.
# Put OpenAI's RN50.pt at pretrain/.
_base_ = ['../../../../../configs/_base_/models/etris-seg_rn50.py']
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

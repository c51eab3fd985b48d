# ETRIS ViT-B/16 as mmris configures it for RefCOCO, trained and tested on
# referring data of one's own in mmris' custom JSON format (RISCustomDataset,
# see docs/dataset_preparation.md): images/, masks/, train.json, val.json
# under data_root, as make_example_data.py writes them. `mmris::` finds the
# base config in the installed mmris, so this file works from any folder.
_base_ = ['mmris::etris/vitb_refcoco.py']

data_root = 'data/my_refer_data/'
my_data = dict(
    type='RISCustomDataset',
    data_root=data_root,
    data_prefix=dict(img_path='images/', mask_path='masks/'))

# _delete_: RefCOCODataset's split_file and split do not apply here.
train_dataloader = dict(
    dataset=dict(_delete_=True, **my_data, ann_file='train.json', mode='train',
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(_delete_=True, **my_data, ann_file='val.json', mode='val_first',
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    dataset=dict(_delete_=True, **my_data, ann_file='val.json', mode='test',
                 pipeline={{_base_.test_pipeline}}))

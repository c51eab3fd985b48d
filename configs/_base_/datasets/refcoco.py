# RefCOCO (unc). The data loaders arrive with RefCOCODataset; until then this
# file holds the reference's pipelines, which inference uses.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RISLetterbox', size=416),
    dict(type='PackRISInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RISLetterbox', size=416),
    dict(type='PackRISInputs'),
]

# ETRIS with CLIP ViT-B/16 images and BERT-base text (the text tower the
# ETRIS write-up describes). The image tower loads from OpenAI's
# ViT-B-16.pt (clip_weights fills the OpenAI-layout tower only); put
# bert-base-uncased (config, weights, vocab) at pretrain/bert-base-uncased.
# BERT's words are 768 wide, so the neck and decoder are too (the other
# channel counts are read from the backbone).
_base_ = ['./vitb_refcoco.py']
model = dict(
    backbone=dict(
        text_encoder=dict(
            _delete_=True,
            type='mmris.HFTextEncoder',
            pretrained='pretrain/bert-base-uncased',
            config=dict(
                model_type='bert', hidden_size=768, intermediate_size=3072,
                num_hidden_layers=12, num_attention_heads=12, vocab_size=30522),
            text_length=17,
            fusion_layers=(3, 7, 11))),
    # BERT's words and sentence are 768 wide.
    neck=dict(text_channels=768, channels=768),
    decode_head=dict(in_channels=768, text_channels=768))

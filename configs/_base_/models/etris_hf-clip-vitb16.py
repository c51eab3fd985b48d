# ETRIS with CLIP ViT-B/16 from the Hugging Face release, run by the
# transformers towers (etris_vitb16.py with HFVisionEncoder and
# HFTextEncoder in place of the OpenAI-layout towers). Put
# openai/clip-vit-base-patch16 (config, weights, tokenizer) at `clip_dir`.
# The config dicts state the expected architecture: without the directory
# they build it with random weights, with it they must match it.
_base_ = ['./etris_vitb16.py']
clip_dir = 'pretrain/clip-vit-base-patch16'
model = dict(
    backbone=dict(
        clip_weights=None,
        vision_encoder=dict(
            _delete_=True,
            type='mmris.HFVisionEncoder',
            pretrained=clip_dir,
            config=dict(
                model_type='clip_vision_model', hidden_size=768, intermediate_size=3072,
                num_hidden_layers=12, num_attention_heads=12, patch_size=16, image_size=224,
                projection_dim=512, hidden_act='quick_gelu'),
            fusion_layers=(3, 7, 11)),
        text_encoder=dict(
            _delete_=True,
            type='mmris.HFTextEncoder',
            pretrained=clip_dir,
            config=dict(
                model_type='clip_text_model', hidden_size=512, intermediate_size=2048,
                num_hidden_layers=12, num_attention_heads=8, max_position_embeddings=77,
                vocab_size=49408, projection_dim=512, hidden_act='quick_gelu'),
            text_length=17,
            fusion_layers=(3, 7, 11))))

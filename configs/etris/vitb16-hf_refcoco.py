# ETRIS ViT-B/16 on the Hugging Face CLIP release, run by the transformers
# towers. Put openai/clip-vit-base-patch16 (config, weights, tokenizer) at
# pretrain/clip-vit-base-patch16. The architecture of vitb_refcoco.py, with
# two differences: the HF tokenizer pads with the end token (not id 0), and
# the trainable positional embedding stays on the release's 14 x 14 grid,
# interpolated to the input's on every forward (vitb_refcoco.py resizes it
# once, to 26 x 26). vitb_refcoco.py reads the same directory through
# clip_weights='pretrain/clip-vit-base-patch16'.
# The config dicts state the expected architecture: without the directory
# they build it with random weights, with it they must match it.
_base_ = ['./vitb_refcoco.py']
clip_dir = 'pretrain/clip-vit-base-patch16'
model = dict(
    backbone=dict(
        clip_weights=None,
        vision_encoder=dict(
            _delete_=True,
            type='HFVisionEncoder',
            pretrained=clip_dir,
            config=dict(
                model_type='clip_vision_model', hidden_size=768, intermediate_size=3072,
                num_hidden_layers=12, num_attention_heads=12, patch_size=16, image_size=224,
                projection_dim=512, hidden_act='quick_gelu'),
            fusion_layers=(3, 7, 11)),
        text_encoder=dict(
            _delete_=True,
            type='HFTextEncoder',
            pretrained=clip_dir,
            config=dict(
                model_type='clip_text_model', hidden_size=512, intermediate_size=2048,
                num_hidden_layers=12, num_attention_heads=8, max_position_embeddings=77,
                vocab_size=49408, projection_dim=512, hidden_act='quick_gelu'),
            text_length=17,
            fusion_layers=(3, 7, 11))))

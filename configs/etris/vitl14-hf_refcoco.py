# ETRIS ViT-L/14 on the Hugging Face CLIP release, run by the transformers
# towers. Put openai/clip-vit-large-patch14 at pretrain/clip-vit-large-patch14.
_base_ = ['./vitl14_refcoco.py']
clip_dir = 'pretrain/clip-vit-large-patch14'
model = dict(
    backbone=dict(
        clip_weights=None,
        vision_encoder=dict(
            _delete_=True,
            type='HFVisionEncoder',
            pretrained=clip_dir,
            config=dict(
                model_type='clip_vision_model', hidden_size=1024, intermediate_size=4096,
                num_hidden_layers=24, num_attention_heads=16, patch_size=14, image_size=224,
                projection_dim=768, hidden_act='quick_gelu'),
            fusion_layers=(7, 15, 23)),
        text_encoder=dict(
            _delete_=True,
            type='HFTextEncoder',
            pretrained=clip_dir,
            config=dict(
                model_type='clip_text_model', hidden_size=768, intermediate_size=3072,
                num_hidden_layers=12, num_attention_heads=12, max_position_embeddings=77,
                vocab_size=49408, projection_dim=768, hidden_act='quick_gelu'),
            text_length=17,
            fusion_layers=(3, 7, 11))))

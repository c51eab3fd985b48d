# ETRIS ViT-B/16 on the Hugging Face CLIP release, run by the transformers
# towers. Put openai/clip-vit-base-patch16 (config, weights, tokenizer) at
# pretrain/clip-vit-base-patch16. The architecture of vitb_refcoco.py, with
# two differences: the HF tokenizer pads with the end token (not id 0), and
# the trainable positional embedding stays on the release's 14 x 14 grid,
# interpolated to the input's on every forward (vitb_refcoco.py resizes it
# once, to 26 x 26). vitb_refcoco.py reads the same directory through
# clip_weights='pretrain/clip-vit-base-patch16'.
_base_ = [
    '../_base_/models/etris_hf-clip-vitb16.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/etris_50e.py'
]

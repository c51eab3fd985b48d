"""Frozen encoders with the staged interface the Bridger drives."""
from .clip_modified_resnet import CLIPModifiedResNet
from .clip_text_encoder import CLIPTextEncoder
from .clip_tokenizer import CLIPTokenizer
from .clip_vision_transformer import CLIPVisionTransformer
from .clip_weights import load_clip_state_dict, split_clip_state_dict
from .hf_text_encoder import HFTextEncoder
from .hf_tokenizer import HFTokenizer
from .hf_vision_encoder import HFVisionEncoder
from .staged_encoder import StagedEncoder, TextEncoder, VisionEncoder, split_into_stages

__all__ = [
    'CLIPModifiedResNet', 'CLIPTextEncoder', 'CLIPTokenizer', 'CLIPVisionTransformer',
    'HFTextEncoder', 'HFTokenizer', 'HFVisionEncoder', 'StagedEncoder', 'TextEncoder',
    'VisionEncoder', 'load_clip_state_dict', 'split_clip_state_dict', 'split_into_stages'
]

"""High-level APIs: build a model and run it."""
from .inference import inference_model, init_model
from .ris_inferencer import RISInferencer
from .vocabulary_det_inferencer import VocabularyDetInferencer
from .vocabulary_seg_inferencer import VocabularySegInferencer

__all__ = [
    'inference_model', 'init_model', 'RISInferencer', 'VocabularyDetInferencer',
    'VocabularySegInferencer'
]

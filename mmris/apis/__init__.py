"""High-level APIs: build a model and run it."""
from .inference import inference_model, init_model
from .ris_inferencer import RISInferencer

__all__ = ['inference_model', 'init_model', 'RISInferencer']

"""ETRIS for image classification, built on mmris (loaded by a config's
``custom_imports``; everything registers in mmris' registries).

- :class:`ETRISClassifier`: a vocabulary-mode Bridger backbone (class
  prompts as text) and :class:`TextScoredClsHead`, CLIP-style scores of the
  pooled image embedding against the class embeddings.
- :class:`ClassFolderDataset`: an ImageNet-style folder, one subfolder per
  class; :class:`PackClsInputs` packs its samples.
- :class:`TopKAccuracy`: top-1 / top-5 accuracy, exact across processes.
- :func:`generate_shapes_folder`: the generated shapes set (K classes).
"""
from .class_folder_dataset import ClassFolderDataset
from .etris_classifier import ETRISClassifier
from .pack_cls_inputs import PackClsInputs
from .synthetic_shapes_folder import SHAPES, generate_shapes_folder
from .text_scored_cls_head import TextScoredClsHead
from .top_k_accuracy import TopKAccuracy

__all__ = [
    'ClassFolderDataset', 'ETRISClassifier', 'PackClsInputs', 'SHAPES', 'TextScoredClsHead',
    'TopKAccuracy', 'generate_shapes_folder'
]

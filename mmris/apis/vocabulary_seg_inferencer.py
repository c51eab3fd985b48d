"""MMSegInferencer for models that segment with a class vocabulary.

    from mmris.apis import VocabularySegInferencer
    inferencer = VocabularySegInferencer(
        'configs/etris_seg/etris-vitb16_4xb4-80k_ade20k-512x512.py', weights='model.pth',
        classes=['wall', 'floor', 'person'])   # optional: another vocabulary
    result = inferencer('demo.jpg', out_dir='outputs')
    result['predictions']   # (H, W) label map indexing the classes
"""
from typing import Optional, Sequence, Union

from mmseg.apis import MMSegInferencer

from mmris.engine.hooks import model_class_names
from mmris.models.utils.class_vocabulary import resolve_class_names
from mmris.registry import INFERENCERS

from .vocabulary_loading import VocabularyLoading, vocabulary_palette


@INFERENCERS.register_module()
class VocabularySegInferencer(VocabularyLoading, MMSegInferencer):
    """:class:`mmseg.apis.MMSegInferencer` for vocabulary-mode models (the
    mmris semantic-segmentation configs).

    Unlike MMSegInferencer's, ``classes`` here is the vocabulary the model
    segments with: the model is built with that vocabulary
    (:func:`set_vocabulary`: ``model.backbone.classes`` and the head's
    ``num_classes``) and the same weights, so it can name classes it was not
    trained on. Without ``classes`` the config's vocabulary is used. The
    pictures are labelled with the model's class names.

    Args:
        model (str): Config file path.
        weights (str, optional): Checkpoint (random weights without one).
        classes (str | Sequence[str], optional): The vocabulary: class names
            or an mmseg dataset name.
        palette (Sequence, optional): An RGB colour per class; by default the
            checkpoint's when it has one per class, else random fixed ones.
        device (str, optional): e.g. 'cpu', 'cuda:0'.
        scope (str): Registry scope of the config ('mmris').
    """

    def __init__(self, model: str, weights: Optional[str] = None,
                 classes: Optional[Union[str, Sequence[str]]] = None,
                 palette: Optional[Sequence] = None, device: Optional[str] = None,
                 scope: str = 'mmris') -> None:
        self.vocabulary = None if classes is None else list(resolve_class_names(classes))
        super().__init__(model, weights=weights, device=device, scope=scope)
        names = model_class_names(self.model)
        if names is None:
            raise ValueError(f'{model!r} has no class vocabulary (model.backbone.classes); '
                             f'use mmseg.apis.MMSegInferencer for it')
        if palette is None:
            palette = vocabulary_palette(
                (getattr(self.model, 'dataset_meta', None) or {}).get('palette'), len(names))
        if len(palette) != len(names):
            raise ValueError(f'palette has {len(palette)} colours for {len(names)} classes')
        self.visualizer.set_dataset_meta(list(names), [list(c) for c in palette])

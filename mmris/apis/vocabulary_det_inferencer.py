"""mmdet's DetInferencer for detectors with a class vocabulary.

    from mmris.apis import VocabularyDetInferencer
    inferencer = VocabularyDetInferencer(
        'configs/etris_det/retinanet_etris-rn50_fpn_1x_coco.py', weights='model.pth',
        classes=['triangle', 'circle'])   # optional: another vocabulary
    result = inferencer('demo.jpg', out_dir='outputs')
"""
from typing import Optional, Sequence, Union

from mmdet.apis import DetInferencer

from mmris.models.utils.class_vocabulary import resolve_class_names
from mmris.registry import INFERENCERS

from .vocabulary_loading import VocabularyLoading, vocabulary_palette


@INFERENCERS.register_module()
class VocabularyDetInferencer(VocabularyLoading, DetInferencer):
    """:class:`mmdet.apis.DetInferencer` for vocabulary-mode detectors (the
    mmris detection configs), as :class:`VocabularySegInferencer` is for
    segmentation.

    ``classes`` is the vocabulary the model detects: the model is built with
    it (:func:`set_vocabulary`) and the same weights, and the labels and the
    names on the pictures index it. Without ``classes`` the config's
    vocabulary is used.

    Args:
        model (str): Config file path.
        weights (str, optional): Checkpoint (random weights without one).
        classes (str | Sequence[str], optional): The vocabulary.
        device (str, optional): e.g. 'cpu', 'cuda:0'.
        scope (str): Registry scope of the config ('mmdet').
        **kwargs: Other :class:`DetInferencer` arguments.
    """

    def __init__(self, model: str, weights: Optional[str] = None,
                 classes: Optional[Union[str, Sequence[str]]] = None,
                 device: Optional[str] = None, scope: str = 'mmdet', **kwargs) -> None:
        self.vocabulary = None if classes is None else list(resolve_class_names(classes))
        super().__init__(model, weights=weights, device=device, scope=scope, **kwargs)
        names = self.model.backbone.class_names
        if names is None:
            raise ValueError(f'{model!r} has no class vocabulary (model.backbone.classes); '
                             f'use mmdet.apis.DetInferencer for it')
        meta = self.model.dataset_meta or {}
        self.model.dataset_meta = dict(meta, classes=tuple(names),
                                       palette=vocabulary_palette(meta.get('palette'), len(names)))
        self.visualizer.dataset_meta = self.model.dataset_meta

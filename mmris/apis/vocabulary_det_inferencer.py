"""mmdet's DetInferencer for detectors with a class vocabulary.

    from mmris.apis import VocabularyDetInferencer
    inferencer = VocabularyDetInferencer(
        'configs/etris_det/retinanet_etris-rn50_fpn_1x_coco.py', weights='model.pth',
        classes=['triangle', 'circle'])   # optional: another vocabulary
    result = inferencer('demo.jpg', out_dir='outputs')
"""
from typing import Optional, Sequence, Union

from mmdet.apis import DetInferencer

from mmris.checkpoint.loader import safe_checkpoint_loading
from mmris.checkpoint.model_fit import PARTIAL_KEY, check_checkpoint_fits
from mmris.checkpoint.parameter_efficient import complete_state_dict
from mmris.models.utils.class_vocabulary import resolve_class_names, set_vocabulary
from mmris.registry import INFERENCERS


@INFERENCERS.register_module()
class VocabularyDetInferencer(DetInferencer):
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
        self.model.dataset_meta = dict(self.model.dataset_meta or {}, classes=tuple(names))
        self.visualizer.dataset_meta = self.model.dataset_meta

    def _init_model(self, cfg, weights, device):
        """mmdet's, with the vocabulary set and ``weights`` loaded
        weights-only (mmris' safe loader)."""
        if self.vocabulary is not None:
            set_vocabulary(cfg.model, self.vocabulary)
        with safe_checkpoint_loading():
            return super()._init_model(cfg, weights, device)

    def _load_weights_to_model(self, model, checkpoint, cfg) -> None:
        """mmdet's, after the frozen weights a parameter-efficient
        checkpoint left out are restored from the config's weights files,
        and the weights are checked to fit the model (one-line refusal)."""
        if checkpoint is not None:
            complete_state_dict(checkpoint, model, cfg.model, 'the weights')
            check_checkpoint_fits(checkpoint, model, 'the weights', cfg.get(PARTIAL_KEY, False))
        super()._load_weights_to_model(model, checkpoint, cfg)

"""What the vocabulary inferencers of both toolboxes do before their parent's
model loading: the model is built with the asked vocabulary, and the weights
are loaded weights-only, completed and checked against the model; and the
colours of the classes asked for."""
from typing import List, Optional, Tuple

import numpy as np

from mmris.checkpoint.loader import safe_checkpoint_loading
from mmris.checkpoint.model_fit import PARTIAL_KEY, check_checkpoint_fits
from mmris.checkpoint.parameter_efficient import complete_state_dict
from mmris.models.utils.class_vocabulary import set_vocabulary


def vocabulary_palette(saved, num_classes: int, seed: int = 42) -> List[Tuple[int, int, int]]:
    """The ``saved`` palette (the config's or the checkpoint's) where it is
    a list with a colour per class, else ``num_classes`` random RGB colours
    fixed by ``seed`` (as mmseg's datasets make a palette for classes that
    have none)."""
    if saved is not None and not isinstance(saved, str) and len(saved) == num_classes:
        return [tuple(colour) for colour in saved]
    colours = np.random.RandomState(seed).randint(0, 255, size=(num_classes, 3)).tolist()
    return [tuple(colour) for colour in colours]


class VocabularyLoading:
    """A mixin placed before :class:`mmseg.apis.MMSegInferencer` or
    :class:`mmdet.apis.DetInferencer` (both build their model in
    ``_init_model`` and load weights in ``_load_weights_to_model``).

    The inferencer sets :attr:`vocabulary` (class names, or None for the
    config's) before calling its parent's ``__init__``.
    """

    vocabulary: Optional[List[str]] = None

    def _init_model(self, cfg, weights, device):
        """The parent's, with the vocabulary set (:func:`set_vocabulary`) and
        ``weights`` loaded weights-only (mmris' safe loader)."""
        if self.vocabulary is not None:
            set_vocabulary(cfg.model, self.vocabulary)
        with safe_checkpoint_loading():
            return super()._init_model(cfg, weights, device)

    def _load_weights_to_model(self, model, checkpoint, cfg) -> None:
        """The parent's, after the frozen weights a parameter-efficient
        checkpoint left out are restored from the config's weights files,
        and the weights are checked to fit the model (one-line refusal)."""
        if checkpoint is not None:
            complete_state_dict(checkpoint, model, cfg.model, 'the weights')
            check_checkpoint_fits(checkpoint, model, 'the weights', cfg.get(PARTIAL_KEY, False))
        super()._load_weights_to_model(model, checkpoint, cfg)

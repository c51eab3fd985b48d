"""Building a model from a config and running it on an image and expressions."""
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, init_default_scope
from mmseg.structures import SegDataSample

from mmris.checkpoint.model_fit import PARTIAL_KEY, load_weights
from mmris.utils.part_fit import check_model_parts_fit

from .inputs import check_expressions, check_image, read_image


def init_model(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of ``config`` in eval mode on ``device``.

    Args:
        config: Config path or object.
        checkpoint (str, optional): Weights to load, weights-only (strict:
            keys that do not fit the config raise a CheckpointError naming
            them, unless the config sets ``load_from_partial=True``; see
            :mod:`mmris.checkpoint.model_fit`). A parameter-efficient checkpoint gets its frozen weights
            from the config's weights files first. Without a checkpoint the
            model keeps its random initialisation and no weights file is
            read.
        device (str): e.g. 'cpu', 'cuda:0'.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        The model, with its config as ``model.cfg``. It is built through
        mmengine's root registry in the config's ``default_scope`` (mmris
        when unset), so mmdet and mmseg configs build too.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or a Config, got {type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'mmris'))
    model = MODELS.build(config.model)
    check_model_parts_fit(model)  # mmseg's and mmdet's models do not check
    if checkpoint is not None:
        load_weights(model, checkpoint, config.model, config.get(PARTIAL_KEY, False))
    if not str(device).startswith('cuda'):
        model = revert_sync_batchnorm(model)
    model.cfg = config
    return model.to(device).eval()


def array_test_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline without annotation loading, for an image
    given as an array (``LoadImageFromNDArray`` instead of its loader):
    called with ``dict(img=array, text=expression)``."""
    pipeline = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline
    steps = [dict(step) for step in pipeline if 'Annotation' not in step['type']]
    steps[0]['type'] = 'LoadImageFromNDArray'
    return Compose(steps)


@torch.no_grad()
def inference_model(model: torch.nn.Module, img: Union[str, np.ndarray],
                    expression: Union[str, Sequence[str]]
                    ) -> Union[SegDataSample, List[SegDataSample]]:
    """Segment what ``expression`` refers to in ``img``.

    Args:
        model: A model from :func:`init_model`.
        img: Image path, or an (H, W, 3) uint8 array in BGR order (as read by
            ``mmcv.imread`` / ``cv2.imread``).
        expression: One expression, or a list run as one batch.

    Returns:
        One ``SegDataSample`` per expression (a single one for a str), with
        ``pred_sem_seg`` (1, H, W) binary mask and ``pred_prob`` (1, H, W)
        probabilities at the image's size.

    Raises:
        TypeError, ValueError, FileNotFoundError, ImageDecodeError: a bad
            image or expression, named in the message.
    """
    expressions = check_expressions(expression)
    img = check_image(img)
    if not isinstance(img, np.ndarray):
        img = read_image(img)
    pipeline = array_test_pipeline(model.cfg)
    inputs = [pipeline(dict(img=img, text=text)) for text in expressions]
    results = model.test_step(pseudo_collate(inputs))
    return results[0] if isinstance(expression, str) else results

"""Building a model from a config and running it on an image and expressions."""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import CheckpointLoader
from mmseg.structures import SegDataSample

from mmris.engine.checkpoint_loader import safe_checkpoint_loading
from mmris.engine.parameter_efficient_checkpoint import complete_state_dict
from mmris.utils.errors import CheckpointError

from .inputs import check_expressions, check_image, read_image


def _short(keys: List[str], limit: int = 5) -> str:
    return ', '.join(keys[:limit]) + (f', ... ({len(keys) - limit} more)' if len(keys) > limit
                                      else '')


def check_state_dict_fits(state_dict: Dict[str, torch.Tensor], model: torch.nn.Module,
                          source: str) -> None:
    """Raise CheckpointError naming ``source`` and the missing, unexpected
    and mis-shaped keys, unless ``state_dict`` fits ``model`` exactly."""
    own = model.state_dict()
    missing = [key for key in own if key not in state_dict]
    unexpected = [key for key in state_dict if key not in own]
    mismatched = [f'{key}: {tuple(value.shape)} vs {tuple(own[key].shape)}'
                  for key, value in state_dict.items()
                  if key in own and tuple(value.shape) != tuple(own[key].shape)]
    if missing or unexpected or mismatched:
        raise CheckpointError(
            f'checkpoint {source} does not fit the model of this config (is it a checkpoint of '
            f'this config?): missing {len(missing)} [{_short(missing)}], unexpected '
            f'{len(unexpected)} [{_short(unexpected)}], shape mismatch {len(mismatched)} '
            f'[{_short(mismatched)}]')


def load_weights(model: torch.nn.Module, checkpoint: str, model_cfg: dict) -> dict:
    """Load ``checkpoint`` (full or parameter-efficient) into ``model``,
    weights-only and strictly; returns the loaded checkpoint dict.

    Raises:
        CheckpointError: the file cannot be read or does not fit ``model``.
    """
    with safe_checkpoint_loading():
        loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    if not isinstance(loaded, dict):
        raise CheckpointError(f'checkpoint {checkpoint!r} holds a {type(loaded).__name__}, not '
                              f'a checkpoint dict')
    complete_state_dict(loaded, model, model_cfg, repr(checkpoint))
    state_dict = loaded.get('state_dict', loaded)
    state_dict = {key[len('module.'):] if key.startswith('module.') else key: value
                  for key, value in state_dict.items()}
    check_state_dict_fits(state_dict, model, repr(checkpoint))
    model.load_state_dict(state_dict, strict=True)
    return loaded


def init_model(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of ``config`` in eval mode on ``device``.

    Args:
        config: Config path or object.
        checkpoint (str, optional): Weights to load, weights-only (strict:
            keys that do not fit the config raise a CheckpointError naming
            them). A parameter-efficient checkpoint gets its frozen weights
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
    if checkpoint is not None:
        load_weights(model, checkpoint, config.model)
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

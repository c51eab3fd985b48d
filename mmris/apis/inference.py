"""Building a model from a config and running it on an image and expressions."""
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.structures import SegDataSample


def init_model(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of ``config`` in eval mode on ``device``.

    Args:
        config: Config path or object.
        checkpoint (str, optional): Weights to load (strict: keys that do not
            fit the config raise an error naming them). Without one, the
            model keeps its random initialisation and no CLIP weights are read.
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
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    if not str(device).startswith('cuda'):
        model = revert_sync_batchnorm(model)
    model.cfg = config
    return model.to(device).eval()


def _test_pipeline(cfg: Config, from_array: bool) -> Compose:
    """The config's test pipeline without annotation loading; an array input
    is loaded by ``LoadImageFromNDArray``."""
    pipeline = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline
    steps = [dict(step) for step in pipeline if 'Annotation' not in step['type']]
    if from_array:
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
    """
    expressions = [expression] if isinstance(expression, str) else list(expression)
    if not expressions:
        raise ValueError('inference_model needs at least one expression')
    from_array = isinstance(img, np.ndarray)
    pipeline = _test_pipeline(model.cfg, from_array)
    inputs = [pipeline(dict(img=img, text=text) if from_array else dict(img_path=img, text=text))
              for text in expressions]
    results = model.test_step(pseudo_collate(inputs))
    return results[0] if isinstance(expression, str) else results

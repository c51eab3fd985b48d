"""RISInferencer: referring image segmentation for images and expressions,
in the style of MMSegmentation's ``MMSegInferencer``.

    from mmris.apis import RISInferencer
    inferencer = RISInferencer('vitb_refcoco', weights='etris_vitb_refcoco.pth')
    result = inferencer('demo.jpg', ['the man on the left', 'the red car'],
                        out_dir='outputs', save_vis=True, save_json=True)
    result['predictions'][0]['mask']   # (H, W) uint8, 1 where the expression refers

``precision='bf16'`` runs the network under bf16 autocast (on CPUs with
native bf16 and on CUDA); ``backend='onnxruntime'`` with ``weights`` an ONNX
file from ``tools/deployment/export_onnx.py`` runs it with ONNX Runtime.
``compile=True`` runs the backbone, neck and decode head through
``torch.compile``
(:func:`mmris.utils.network_compile.compile_network`).
"""
import copy
import difflib
import json
import os
import os.path as osp
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.device import get_device
from mmengine.infer.infer import BaseInferencer
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.config_package import CONFIG_ROOT
from mmris.models.utils import store_frozen_weights_in
from mmris.registry import INFERENCERS, MODELS, VISUALIZERS
from mmris.utils.network_compile import compile_network
from mmris.utils.precision import autocast, resolve_precision
from mmris.visualization import RISLocalVisualizer

from .inference import array_test_pipeline, init_model
from .inputs import ExpressionsType, ImageType, check_expressions, check_image, read_image

BACKENDS = ('pytorch', 'onnxruntime')


def find_config(model: Union[str, Path]) -> str:
    """The config file for ``model``: an existing path as it is, or a config
    *name* such as ``vitb_refcoco``, found as ``configs/etris/<name>.py`` of
    mmris' configs (:data:`mmris.config_package.CONFIG_ROOT`, the
    repository's ``configs/`` in a checkout) or else as the one
    ``configs/**/<name>.py``.

    Raises:
        FileNotFoundError: a path ending with ``.py`` that does not exist, or
            a name no config has (with the closest names).
        ValueError: a name that several configs have.
    """
    model = str(model)
    if osp.isfile(model):
        return model
    if model.endswith('.py') or os.sep in model:
        raise FileNotFoundError(f'config file {model!r} does not exist; pass the path of a '
                                f'config file or a config name such as vitb_refcoco')
    preferred = CONFIG_ROOT / 'etris' / f'{model}.py'
    if preferred.is_file():
        return str(preferred)
    matches = sorted(path for path in CONFIG_ROOT.rglob(f'{model}.py')
                     if '_base_' not in path.relative_to(CONFIG_ROOT).parts)
    if len(matches) == 1:
        return str(matches[0])
    if matches:
        raise ValueError(f'config name {model!r} is ambiguous: '
                         f'{", ".join(str(m.relative_to(CONFIG_ROOT.parent)) for m in matches)}; '
                         f'pass the path of one')
    names = sorted({path.stem for path in CONFIG_ROOT.rglob('*.py')
                    if '_base_' not in path.relative_to(CONFIG_ROOT).parts})
    close = difflib.get_close_matches(model, names, n=3)
    hint = f'did you mean {" or ".join(close)}?' if close else \
        f'the names are {", ".join(names)}'
    raise FileNotFoundError(f'no config file or config name {model!r} (looked in '
                            f'{CONFIG_ROOT}); {hint}')


def describe_match(no_target_score: Optional[float], area: int) -> str:
    """What the demos print for one expression: ``no match`` with the
    no-target score when the mask is empty, else the mask area (and the
    score, when the model has a no-target head)."""
    score = '' if no_target_score is None else f' (no-target score {no_target_score:.2f})'
    return f'no match{score}' if area == 0 else f'mask area {area} px{score}'


def encode_rle(mask: np.ndarray) -> dict:
    """COCO run-length encoding of a binary (H, W) mask, ``counts`` as str."""
    from pycocotools import mask as mask_utils
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=[int(s) for s in rle['size']], counts=rle['counts'].decode('ascii'))


@INFERENCERS.register_module()
class RISInferencer(BaseInferencer):
    """Referring image segmentation inferencer: segments what each
    expression refers to in an image.

    Args:
        model (str | Path | Config | dict): Config file path, a config name
            such as ``vitb_refcoco`` (see :func:`find_config`), or a config.
        weights (str, optional): Checkpoint to load; strict, so keys that do
            not fit the config raise an error naming them. Without one the
            model keeps its random initialisation (with a warning).
        device (str, optional): 'cpu', 'cuda', 'cuda:1', ...; the default is
            CUDA where available, else the CPU.
        scope (str): Registry scope. Defaults to 'mmris'.
        precision (str): ``'fp32'``, ``'bf16'`` (autocast; a CPU without
            native bf16 runs fp32 and says so) or ``'fp16'`` (CUDA autocast).
            Under bf16 or fp16 the frozen layers' weights are stored in that
            dtype (:func:`~mmris.models.utils.store_frozen_weights_in`): the
            same outputs, without casting them again on every call, so
            ``self.model`` then runs under that autocast only.
        backend (str): ``'pytorch'`` or ``'onnxruntime'`` (then ``weights``
            is the exported ``.onnx`` file, fp32 or int8 (``export_onnx.py
            --int8``); it runs on the CPU as it was written).
        compile (bool | dict): Compile the backbone, neck and decode head with
            ``torch.compile`` (a dict: its options); the first call of each
            input shape compiles. Pays for small models and many calls of
            one shape (docs/performance.md). Defaults to False.

    Call it with an image (path, or (H, W, 3) uint8 array in BGR order as
    read by ``mmcv.imread``) and ``expressions`` (a str or a list), with a
    list of images sharing ``expressions``, or with a list of ``(image,
    expression_or_list)`` pairs; see :meth:`__call__`.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {'show', 'wait_time', 'vis_out_dir', 'return_vis', 'opacity'}
    postprocess_kwargs: set = {'pred_out_dir', 'items'}

    def __init__(self, model: Union[str, Path, Config, dict], weights: Optional[str] = None,
                 device: Optional[str] = None, scope: str = 'mmris',
                 precision: str = 'fp32', backend: str = 'pytorch',
                 compile: Union[bool, dict] = False) -> None:
        if backend not in BACKENDS:
            raise ValueError(f'backend {backend!r}: choose one of {", ".join(BACKENDS)}')
        if model is None:
            raise ValueError('RISInferencer needs model: a config path, a config name such as '
                             'vitb_refcoco, or a Config')
        if isinstance(model, (str, Path)):
            model = find_config(model)
        if device is not None and str(device).startswith('cuda') \
                and not torch.cuda.is_available():
            raise RuntimeError(f'device {device!r} was asked for, but CUDA is not available '
                               f'here (torch {torch.__version__}); use device="cpu"')
        exported = weights is not None and str(weights).endswith('.onnx')
        if weights is not None and '://' not in str(weights) and not osp.isfile(weights):
            raise FileNotFoundError(
                f'weights {weights!r} do not exist; pass the path of ' +
                ('a file written by tools/deployment/export_onnx.py' if exported else
                 'a checkpoint (.pth) written by tools/train.py'))
        if exported and backend == 'pytorch':
            raise ValueError(f"weights {weights!r} is an exported ONNX network; run it with "
                             f"backend='onnxruntime'")
        if backend == 'onnxruntime':
            if weights is None or not str(weights).endswith('.onnx'):
                raise ValueError(f"backend='onnxruntime' runs an exported network: pass weights="
                                 f"'<file>.onnx' (tools/deployment/export_onnx.py), got {weights!r}")
            if precision != 'fp32':
                raise ValueError(f"backend='onnxruntime' runs the network as exported (fp32 or "
                                 f"int8); precision={precision!r} applies to the pytorch backend")
            if compile:
                raise ValueError("backend='onnxruntime' runs the exported network; compile "
                                 "applies to the pytorch backend")
            device = 'cpu'
        self.backend = backend
        self.device = device = device or get_device()
        self.precision = resolve_precision(precision, device)
        self._num_images = 0  # names the outputs of array inputs across calls
        init_default_scope(scope)
        super().__init__(model=model, weights=str(weights) if weights is not None else None,
                         device=device, scope=scope, show_progress=False)
        if backend == 'pytorch':
            store_frozen_weights_in(self.model, self.precision)
        if compile:
            compile_network(self.model, compile)

    # Building ----------------------------------------------------------------
    def _init_model(self, cfg: Union[Config, ConfigDict], weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        """:func:`mmris.apis.init_model`: strict loading of ``weights``; with
        the onnxruntime backend an :class:`ORTSegmentor` of the file."""
        if self.backend == 'onnxruntime':
            from mmris.deployment import ort_segmentor_config
            return MODELS.build(ort_segmentor_config(weights, cfg['model']))
        if weights is None:
            warnings.warn('RISInferencer got no weights: the predictions come from a randomly '
                          'initialised model', stacklevel=2)
        config = cfg if isinstance(cfg, Config) else Config(copy.deepcopy(dict(cfg)))
        return init_model(config, weights, device=device)

    def _init_pipeline(self, cfg: Config):
        """The config's test pipeline without annotation loading; an image
        path is read by :func:`~mmris.apis.inputs.read_image` (a clear error
        for an empty or undecodable file) and goes in as an array."""
        from_array = array_test_pipeline(cfg)

        def pipeline(item: dict) -> dict:
            image = item['img']
            if not isinstance(image, np.ndarray):
                image = read_image(image)
            return from_array(dict(img=image, text=item['text']))

        return pipeline

    def _init_visualizer(self, cfg: Config) -> RISLocalVisualizer:
        """The config's visualizer if it is a ``RISLocalVisualizer`` (its
        colours and opacity), else a default one; without vis backends, as
        pictures are written through ``out_file``."""
        vis_cfg = dict(cfg.get('visualizer') or {})
        if vis_cfg.get('type') not in ('RISLocalVisualizer', 'mmris.RISLocalVisualizer',
                                       RISLocalVisualizer):
            vis_cfg = dict(type=RISLocalVisualizer)
        vis_cfg.pop('vis_backends', None)
        vis_cfg.pop('save_dir', None)
        vis_cfg['name'] = f'ris_inferencer-{id(self)}-{datetime.timestamp(datetime.now())}'
        return VISUALIZERS.build(vis_cfg)

    def _init_collate(self, cfg: Config):
        """The config's ``test_dataloader.collate_fn``, else ``pseudo_collate``."""
        if (cfg.get('test_dataloader') or {}).get('collate_fn') is None:
            return pseudo_collate
        return super()._init_collate(cfg)

    # Running -----------------------------------------------------------------
    @torch.no_grad()
    def forward(self, inputs: Union[dict, tuple], **kwargs) -> Any:
        """``model.test_step`` under the autocast of ``precision``."""
        with autocast(self.precision, self.device):
            return self.model.test_step(inputs)

    def __call__(self,
                 inputs: Union[ImageType, Sequence[Any]],
                 expressions: Optional[ExpressionsType] = None,
                 batch_size: int = 1,
                 return_datasamples: bool = False,
                 out_dir: str = '',
                 save_vis: bool = False,
                 save_json: bool = False,
                 show: bool = False,
                 return_vis: bool = False,
                 threshold: Optional[float] = None,
                 wait_time: float = 0,
                 opacity: Optional[float] = None) -> dict:
        """Segment each expression in its image.

        Args:
            inputs: An image (path, or (H, W, 3) uint8 BGR array) with
                ``expressions``; a list of images, each with all of
                ``expressions``; or a list of ``(image, expression_or_list)``
                pairs (then ``expressions`` must be None).
            expressions (str | list[str], optional): The expressions for
                image inputs.
            batch_size (int): (image, expression) pairs per forward pass.
            return_datasamples (bool): ``predictions`` holds the
                ``SegDataSample`` of each pair instead of arrays.
            out_dir (str): Folder for what ``save_vis`` and ``save_json``
                write.
            save_vis (bool): Write a picture of each pair to
                ``out_dir/vis/<image stem>_<expression index>.png``.
            save_json (bool): Write ``out_dir/preds/<image stem>.json`` per
                image: its expressions, each with its mask as COCO RLE.
            show (bool): Show each picture in a window.
            return_vis (bool): Return the pictures without saving them.
            threshold (float, optional): Foreground where the probability is
                above this instead of the config's ``mask_threshold``.
            wait_time (float): Seconds each shown picture stays (0: a key).
            opacity (float, optional): Mask opacity in the pictures (default:
                the visualizer's ``alpha``, 0.5 unless the config sets it).

        Returns:
            dict: ``predictions``, one per (image, expression) in input
            order: ``{'text', 'image_index', 'mask' (H, W) uint8 0/1,
            'prob' (H, W) float32, 'no_target_score'}`` (the probability
            that the expression names nothing, from a model with a no-target
            head; None without one: an empty mask is its "no match"); ``visualization``, the RGB pictures
            drawn by ``RISLocalVisualizer`` (a list, empty unless
            ``save_vis``, ``show`` or ``return_vis``).
        """
        if batch_size < 1:
            raise ValueError(f'batch_size must be at least 1, got {batch_size}')
        if (save_vis or save_json) and not out_dir:
            raise ValueError('save_vis and save_json write under out_dir; pass out_dir')
        if threshold is not None and not 0 <= threshold < 1:
            raise ValueError(f'threshold must be in [0, 1), got {threshold}')
        items = self._inputs_to_list(inputs, expressions)
        preds = []
        for data in self.preprocess(items, batch_size=batch_size):
            preds.extend(self.forward(data))
        if threshold is not None:
            for pred in preds:
                keep = not pred.get('pred_no_target', False)  # a no-target answer stays empty
                pred.pred_sem_seg = PixelData(data=(pred.pred_prob.data > threshold).long() * keep)
        visualization = self.visualize(
            items, preds, show=show, wait_time=wait_time, opacity=opacity,
            vis_out_dir=osp.join(out_dir, 'vis') if save_vis else '',
            return_vis=return_vis or save_vis or show)
        return self.postprocess(preds, visualization, return_datasamples, items=items,
                                pred_out_dir=osp.join(out_dir, 'preds') if save_json else '')

    def _inputs_to_list(self, inputs, expressions=None) -> List[dict]:
        """One item per (image, expression): ``img`` (path or array),
        ``text``, ``image_index``, ``expr_index`` and ``name`` (the image's
        unique stem for output files)."""
        if isinstance(inputs, (str, Path, np.ndarray)):
            if expressions is None:
                raise ValueError('an image input needs expressions (a str or a list of str)')
            pairs = [(inputs, expressions)]
        elif isinstance(inputs, (list, tuple)):
            if not inputs:
                raise ValueError('inputs is empty: pass an image or (image, expressions) pairs')
            pairs = []
            for index, entry in enumerate(inputs):
                if isinstance(entry, (str, Path, np.ndarray)):
                    if expressions is None:
                        raise ValueError(f'inputs[{index}] is an image without expressions: '
                                         f'pass expressions, or (image, expressions) pairs')
                    pairs.append((entry, expressions))
                elif isinstance(entry, (list, tuple)) and len(entry) == 2:
                    if expressions is not None:
                        raise ValueError('inputs are (image, expressions) pairs, so the '
                                         'expressions argument must be None')
                    pairs.append(tuple(entry))
                else:
                    raise TypeError(f'inputs[{index}] must be an image (path or array) or an '
                                    f'(image, expressions) pair, got {type(entry).__name__}')
        else:
            raise TypeError(f'inputs must be an image path, an array or a list, '
                            f'got {type(inputs).__name__}')

        items, used_names = [], set()
        for image_index, (image, texts) in enumerate(pairs):
            image = check_image(image, image_index)
            texts = check_expressions(texts, image_index)
            if isinstance(image, np.ndarray):
                stem = f'{self._num_images:08d}'
            else:
                stem = Path(image).stem
            self._num_images += 1
            name, suffix = stem, 1
            while name in used_names:
                name, suffix = f'{stem}_{suffix}', suffix + 1
            used_names.add(name)
            items.extend(dict(img=image, text=text, image_index=image_index,
                              expr_index=expr_index, name=name)
                         for expr_index, text in enumerate(texts))
        return items

    @staticmethod
    def _rgb(item: dict, cache: dict) -> np.ndarray:
        """The RGB image of ``item``, read once per image."""
        if item['image_index'] not in cache:
            img = item['img']
            bgr = img if isinstance(img, np.ndarray) else read_image(img)
            cache[item['image_index']] = np.ascontiguousarray(bgr[..., ::-1])
        return cache[item['image_index']]

    def visualize(self, inputs: List[dict], preds: List[SegDataSample], show: bool = False,
                  wait_time: float = 0, vis_out_dir: str = '', return_vis: bool = False,
                  opacity: Optional[float] = None) -> List[np.ndarray]:
        """Draw each prediction on its image (RGB); write it to
        ``vis_out_dir/<name>_<expression index>.png`` when that is set."""
        if not (show or vis_out_dir or return_vis):
            return []
        if vis_out_dir:
            os.makedirs(vis_out_dir, exist_ok=True)
        pictures, cache = [], {}
        alpha = self.visualizer.alpha
        if opacity is not None:
            self.visualizer.alpha = opacity
        try:
            for item, pred in zip(inputs, preds):
                name = f"{item['name']}_{item['expr_index']}"
                out_file = osp.join(vis_out_dir, f'{name}.png') if vis_out_dir else None
                self.visualizer.add_datasample(
                    name, self._rgb(item, cache), pred, draw_gt=False, draw_pred=True,
                    show=show, wait_time=wait_time, out_file=out_file)
                pictures.append(self.visualizer.get_image())
        finally:
            self.visualizer.alpha = alpha
        return pictures

    def postprocess(self, preds: List[SegDataSample], visualization: List[np.ndarray],
                    return_datasample: bool = False, items: Sequence[dict] = (),
                    pred_out_dir: str = '') -> Dict[str, list]:
        """Pack the predictions (arrays, or the data samples) and the
        pictures; write one JSON per image to ``pred_out_dir``."""
        predictions = []
        for item, pred in zip(items, preds):
            predictions.append(dict(
                text=pred.metainfo.get('text', item['text']),
                image_index=item['image_index'],
                mask=pred.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8),
                prob=pred.pred_prob.data[0].cpu().numpy().astype(np.float32),
                no_target_score=pred.get('no_target_score')))
        if pred_out_dir:
            self._save_json(items, predictions, pred_out_dir)
        return dict(predictions=list(preds) if return_datasample else predictions,
                    visualization=list(visualization or []))

    @staticmethod
    def _save_json(items: Sequence[dict], predictions: List[dict], pred_out_dir: str) -> None:
        os.makedirs(pred_out_dir, exist_ok=True)
        per_image: Dict[int, dict] = {}
        for item, pred in zip(items, predictions):
            height, width = pred['mask'].shape
            record = per_image.setdefault(item['image_index'], dict(
                image=item['img'] if isinstance(item['img'], str) else None,
                name=item['name'], height=height, width=width, expressions=[]))
            record['expressions'].append(dict(text=pred['text'],
                                              area=int(pred['mask'].sum()),
                                              no_target_score=pred['no_target_score'],
                                              mask=encode_rle(pred['mask'])))
        for record in per_image.values():
            with open(osp.join(pred_out_dir, f"{record['name']}.json"), 'w') as file:
                json.dump(record, file, indent=2)

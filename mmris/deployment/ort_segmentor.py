"""An exported referring network run by ONNX Runtime, as a segmentor."""
from pathlib import Path
from typing import List, Optional, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from mmseg.structures import SegDataSample

from mmris.registry import MODELS
from mmris.utils.errors import ExportedNetworkError

from ..models.decode_heads.no_target_head import DEFAULT_NO_TARGET_THRESHOLD, mark_no_target
from ..models.encoders import CLIPTokenizer
from ..models.segmentors.etris import DEFAULT_MASK_THRESHOLD, ETRIS, masks_from_logits
from .onnx_export import INPUT_NAMES, NO_TARGET_OUTPUT_NAME, OUTPUT_NAME


def ort_segmentor_config(onnx_file: Union[str, Path], model_cfg: dict) -> dict:
    """The config of an :class:`ORTSegmentor` running ``onnx_file``, exported
    from a model of ``model_cfg`` (a config's ``model``): its data
    preprocessor, its text encoder's vocabulary, its mask threshold and its
    no-target head's threshold."""
    text_encoder = (model_cfg.get('backbone') or {}).get('text_encoder') or {}
    return dict(type='mmris.ORTSegmentor', onnx_file=str(onnx_file),
                data_preprocessor=model_cfg['data_preprocessor'],
                vocab_file=text_encoder.get('vocab_file'),
                mask_threshold=(model_cfg.get('test_cfg') or {}).get(
                    'mask_threshold', DEFAULT_MASK_THRESHOLD),
                no_target_threshold=None if not model_cfg.get('no_target_head') else
                model_cfg['no_target_head'].get('threshold', DEFAULT_NO_TARGET_THRESHOLD))


@MODELS.register_module()
class ORTSegmentor(BaseModel):
    """Runs a network written by :func:`export_onnx` with ONNX Runtime
    behind the segmentor interface (``test_step``), so that the inferencer
    and the test loop use it as they use :class:`ETRIS`: the config's data
    preprocessor, the CLIP tokenizer (``L`` read from the file) and ETRIS'
    post-processing (:func:`masks_from_logits`) run around the session. A
    file exported from a model with a no-target head also gives its logits;
    each sample then gets the head's answer as :class:`NoTargetHead` gives
    it (:func:`mark_no_target`: ``no_target_score``, ``pred_no_target``, an
    empty mask above ``no_target_threshold``).

    A batch larger than the file's fixed batch size runs in chunks of that
    size (the last one padded by repeating its final sample).

    Args:
        onnx_file (str | Path): The exported network.
        data_preprocessor (dict): The config's ``model.data_preprocessor``.
        vocab_file (str, optional): The text encoder's BPE vocabulary
            (``None``: open_clip's, as :class:`CLIPTokenizer`).
        mask_threshold (float): The config's ``test_cfg.mask_threshold``.
        no_target_threshold (float, optional): The config's
            ``no_target_head.threshold``; None for a config without a
            no-target head (a file that has ``no_target_logits`` is then
            read at the head's default, 0.5).
        num_threads (int, optional): ONNX Runtime's intra-op threads
            (default: torch's thread count).

    Raises:
        ImportError: onnxruntime is not installed.
        ExportedNetworkError: (a ``ValueError``) ONNX Runtime cannot load the
            file; its inputs are not ``image`` and ``token_ids``; the config
            has a no-target head and the file no ``no_target_logits``; or,
            when run, the images are not of the file's fixed size.
    """

    def __init__(self, onnx_file: Union[str, Path], data_preprocessor: dict,
                 vocab_file: Optional[str] = None,
                 mask_threshold: float = DEFAULT_MASK_THRESHOLD,
                 no_target_threshold: Optional[float] = None,
                 num_threads: Optional[int] = None):
        try:
            import onnxruntime
        except ImportError as error:
            raise ImportError('the onnxruntime backend needs onnxruntime: pip install -r '
                              'requirements/deploy.txt') from error
        super().__init__(data_preprocessor=data_preprocessor)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = num_threads or torch.get_num_threads()
        # ONNX Runtime's threads keep spinning for a while after each run; the
        # torch work that follows in this process (preprocessing, resizing the
        # masks back) then shares the cores with them, and took 2x its time
        # (docs/performance.md). Idle threads sleep instead.
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        try:
            self.session = onnxruntime.InferenceSession(
                str(onnx_file), options, providers=onnxruntime.get_available_providers())
        except Exception as error:  # onnxruntime's own types, one per failure
            raise ExportedNetworkError(
                f'{onnx_file}: ONNX Runtime cannot load it ({error}); export it again with '
                f'tools/deployment/export_onnx.py') from error
        inputs = {node.name: node.shape for node in self.session.get_inputs()}
        if tuple(inputs) != INPUT_NAMES:
            raise ExportedNetworkError(
                f'{onnx_file}: inputs {tuple(inputs)}, expected {INPUT_NAMES}; export it with '
                f'tools/deployment/export_onnx.py')
        self.onnx_file = str(onnx_file)
        self.batch_size = inputs['image'][0]
        self.image_size = tuple(inputs['image'][2:])
        self.tokenizer = CLIPTokenizer(context_length=inputs['token_ids'][1],
                                       vocab_file=vocab_file)
        self.mask_threshold = mask_threshold
        outputs = [node.name for node in self.session.get_outputs()]
        self.output_names = [OUTPUT_NAME] + [name for name in outputs
                                             if name == NO_TARGET_OUTPUT_NAME]
        if no_target_threshold is not None and NO_TARGET_OUTPUT_NAME not in outputs:
            raise ExportedNetworkError(
                f'{onnx_file}: the config has a no_target_head but the file has no '
                f'{NO_TARGET_OUTPUT_NAME} output (it was exported without the head); export it '
                f'again from this config with tools/deployment/export_onnx.py')
        self.no_target_threshold = (DEFAULT_NO_TARGET_THRESHOLD if no_target_threshold is None
                                    else no_target_threshold)

    def forward(self, inputs: torch.Tensor, data_samples: List[SegDataSample] = None,
                mode: str = 'predict') -> List[SegDataSample]:
        """``inputs`` (B, 3, H, W) normalised -> the samples with
        ``pred_sem_seg`` and ``pred_prob`` (and the no-target answer, see
        the class docstring; ``mode='predict'`` only)."""
        if mode != 'predict':
            raise ValueError(f'ORTSegmentor only predicts (mode={mode!r})')
        token_ids = self.tokenizer(ETRIS.expressions(data_samples))
        outputs = self.run(inputs, token_ids)
        data_samples = masks_from_logits(outputs[0], data_samples, tuple(inputs.shape[-2:]),
                                         self.mask_threshold)
        if len(outputs) == 1:
            return data_samples
        return mark_no_target(outputs[1].sigmoid().tolist(), data_samples,
                              self.no_target_threshold)

    def logits(self, inputs: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
        """The exported network, as :meth:`ETRIS.logits`: images (B, 3, H, W)
        normalised and token ids (B, L) -> stride-4 mask logits (B, 1, H / 4,
        W / 4)."""
        return self.run(inputs, token_ids)[0]

    def run(self, inputs: torch.Tensor, token_ids: torch.Tensor) -> List[torch.Tensor]:
        """Every output of the file (``output_names``: the logits, and the
        no-target logits (B,) where exported) for images (B, 3, H, W) and
        token ids (B, L), in chunks of the file's batch size."""
        if tuple(inputs.shape[-2:]) != self.image_size:
            raise ExportedNetworkError(
                f'{self.onnx_file} takes images of {"x".join(map(str, self.image_size))} '
                f'(fixed at export), these are {"x".join(map(str, inputs.shape[-2:]))}; export '
                f'it again from the config with this input size (tools/deployment/export_onnx.py)')
        images, token_ids = inputs.float().cpu().numpy(), token_ids.cpu().numpy()
        chunks = []
        for start in range(0, len(images), self.batch_size):
            chunk = slice(start, start + self.batch_size)
            image, ids = images[chunk], token_ids[chunk]
            missing = self.batch_size - len(image)
            if missing:
                image = np.concatenate([image, np.repeat(image[-1:], missing, axis=0)])
                ids = np.concatenate([ids, np.repeat(ids[-1:], missing, axis=0)])
            outputs = self.session.run(self.output_names, dict(zip(INPUT_NAMES, (image, ids))))
            chunks.append([output[:self.batch_size - missing] for output in outputs])
        return [torch.from_numpy(np.concatenate(parts)) for parts in zip(*chunks)]

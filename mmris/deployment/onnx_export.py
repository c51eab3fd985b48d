"""Export a referring segmentor's network to ONNX."""
from pathlib import Path
from typing import Tuple, Union

import torch
from torch import nn

#: Names of the exported graph's inputs and outputs (the second output only
#: for a model with a no-target head).
INPUT_NAMES = ('image', 'token_ids')
OUTPUT_NAME = 'logits'
NO_TARGET_OUTPUT_NAME = 'no_target_logits'


class _TensorNetwork(nn.Module):
    """``model.logits`` as a module's forward, which the exporter traces,
    with the no-target head's logits beside them where the model has one."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.no_target_head = getattr(model, 'no_target_head', None)

    def forward(self, image: torch.Tensor, token_ids: torch.Tensor
                ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        if self.no_target_head is None:
            return self.model.logits(image, token_ids)
        features = self.model.features(image, token_ids)
        return self.model.decode_head(features), self.no_target_head(features)


def export_onnx(model: nn.Module, out_file: Union[str, Path], batch_size: int = 1,
                opset_version: int = 18) -> Path:
    """Write ``model``'s network (an :class:`mmris.models.ETRIS` in eval
    mode: normalised images and token ids in, stride-4 logits out) to
    ``out_file``, one self-contained ONNX file, with torch's exporter
    (``torch.export``-based; needs ``onnxscript``).

    Shapes are fixed at export: ``image`` (batch_size, 3, H, W) at the
    config's input size (``model.data_preprocessor.size``), ``token_ids``
    (batch_size, L) int64 at the text encoder's length, ``logits``
    (batch_size, 1, H / 4, W / 4) (the per-sample dynamic kernels become
    one convolution per image), and for a model with a no-target head
    ``no_target_logits`` (batch_size,).

    Raises:
        ValueError: a model without ``logits`` or without a fixed input size.
    """
    if not hasattr(model, 'logits'):
        raise ValueError(f'{type(model).__name__} has no logits(images, token_ids): only '
                         f'referring segmentors (ETRIS) export to ONNX')
    size = getattr(model.data_preprocessor, 'size', None)
    if not size:
        raise ValueError('the model\'s data_preprocessor has no fixed size; set '
                         'model.data_preprocessor.size in the config to export')
    device = next(model.parameters()).device
    image = torch.zeros(batch_size, 3, *size, device=device)
    token_ids = model.backbone.tokenize(['a'] * batch_size).to(device)
    network = _TensorNetwork(model).eval()
    output_names = [OUTPUT_NAME] if network.no_target_head is None else \
        [OUTPUT_NAME, NO_TARGET_OUTPUT_NAME]
    out_file = Path(out_file)
    with torch.no_grad():
        torch.onnx.export(network, (image, token_ids), str(out_file), input_names=INPUT_NAMES,
                          output_names=output_names, opset_version=opset_version, dynamo=True,
                          external_data=False, verbose=False)
    return out_file

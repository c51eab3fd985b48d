"""Quantise an exported referring network to int8 with ONNX Runtime."""
from pathlib import Path
from typing import Union

#: Operators whose weights are stored in int8: the matrix products of the
#: towers, the Bridger, the neck's interactors and the decoder, which hold
#: nearly all of the network's work. Convolutions stay fp32: ONNX Runtime's
#: ``ConvInteger`` on a CPU is slower than its fp32 convolution.
QUANTIZED_OPERATORS = ('MatMul', 'Gemm')


def fold_weight_views(model):
    """``model`` (an ``onnx.ModelProto``) with every view of a weight that
    the exporter kept as an operator (a ``Slice`` of an attention's
    ``in_proj_weight``, a ``Transpose``) folded into a weight of its own.

    The quantiser stores a matrix product's weight in int8 only when the
    product reads an initializer directly; through such a view it stays
    fp32 (the towers' q/k/v projections, a fifth of ViT-B/16's work). Folded
    tensors are at most the size of the largest weight, so nothing grows
    beyond what the file holds already.
    """
    import numpy as np
    from onnxscript import optimizer
    largest = max((int(np.prod(weight.dims)) for weight in model.graph.initializer), default=0)
    return optimizer.optimize(model, input_size_limit=largest, output_size_limit=largest)


def quantize_onnx(fp32_file: Union[str, Path], out_file: Union[str, Path]) -> Path:
    """Write ``fp32_file`` (from :func:`export_onnx`) as an int8 network to
    ``out_file``, with ONNX Runtime's dynamic quantisation: the weights of
    :data:`QUANTIZED_OPERATORS` (read directly, after
    :func:`fold_weight_views`) become int8 per output channel (7-bit range,
    which keeps AVX2 CPUs without VNNI from saturating), and the
    activations are quantised per run from their own range, so no
    calibration data is needed. Inputs, outputs and shapes are those of
    ``fp32_file``; :class:`ORTSegmentor` runs both files alike.

    Raises:
        ImportError: onnxruntime or onnxscript is not installed.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    out_file = Path(out_file)
    model = fold_weight_views(onnx.load(str(fp32_file)))
    quantize_dynamic(model, str(out_file), op_types_to_quantize=list(QUANTIZED_OPERATORS),
                     per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)
    return out_file

"""Quantise an exported referring network to int8 with ONNX Runtime."""
from pathlib import Path
from typing import Union

#: Operators whose weights are stored in int8: the matrix products of the
#: towers, the Bridger, the neck's interactors and the decoder, which hold
#: nearly all of the network's work. Convolutions stay fp32: ONNX Runtime's
#: ``ConvInteger`` on a CPU is slower than its fp32 convolution.
QUANTIZED_OPERATORS = ('MatMul', 'Gemm')


def quantize_onnx(fp32_file: Union[str, Path], out_file: Union[str, Path]) -> Path:
    """Write ``fp32_file`` (from :func:`export_onnx`) as an int8 network to
    ``out_file``, with ONNX Runtime's dynamic quantisation: the weights of
    :data:`QUANTIZED_OPERATORS` become int8 per output channel (7-bit
    range, which keeps AVX2 CPUs without VNNI from saturating), and the
    activations are quantised per run from their own range, so no
    calibration data is needed. Inputs, outputs and shapes are those of
    ``fp32_file``; :class:`ORTSegmentor` runs both files alike.

    Raises:
        ImportError: onnxruntime is not installed.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic
    out_file = Path(out_file)
    quantize_dynamic(str(fp32_file), str(out_file), op_types_to_quantize=list(QUANTIZED_OPERATORS),
                     per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)
    return out_file

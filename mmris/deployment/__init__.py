"""Deployment: exporting a referring model to ONNX and running it with
ONNX Runtime, in fp32 or int8 (the path OpenMMLab's mmdeploy takes)."""
from .onnx_export import export_onnx
from .onnx_quantize import quantize_onnx
from .ort_segmentor import ORTSegmentor

__all__ = ['ORTSegmentor', 'export_onnx', 'quantize_onnx']

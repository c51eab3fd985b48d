"""Deployment: exporting a referring model to ONNX and running it with
ONNX Runtime, in fp32 or int8 (the path OpenMMLab's mmdeploy takes)."""
from .logit_agreement import logit_agreement
from .onnx_export import export_onnx
from .onnx_quantize import fold_weight_views, quantize_onnx
from .ort_segmentor import ORTSegmentor, ort_segmentor_config

__all__ = ['ORTSegmentor', 'export_onnx', 'fold_weight_views', 'logit_agreement',
           'ort_segmentor_config', 'quantize_onnx']

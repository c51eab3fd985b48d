"""Measuring a model's inference or training speed and peak memory on random
inputs, alone, side by side with the reference ETRIS, or side by side with
its exported ONNX files, against the machine's matmul rate, and operator
by operator; tools/analysis_tools/benchmark.py is its command line."""
from .inputs import detection_sample, make_inputs, random_expressions
from .memory import MemoryProbe
from .operator_profile import profile_operators
from .reference import build_reference, imports_from, is_reference_checkout, reference_config_file
from .roofline import count_flops, matmul_rate, roofline_figures
from .run import benchmark, compare_attention_paths, compare_with_onnx, compare_with_reference
from .steps import inference_step, training_step
from .tables import (
    format_attention_comparison,
    format_comparison,
    format_onnx_comparison,
    format_results,
    text_table,
)
from .timing import summarize, time_iterations, time_side_by_side

__all__ = [
    'MemoryProbe', 'benchmark', 'build_reference', 'compare_attention_paths', 'compare_with_onnx',
    'compare_with_reference', 'count_flops', 'detection_sample', 'format_attention_comparison',
    'format_comparison', 'format_onnx_comparison',
    'format_results', 'imports_from', 'inference_step', 'is_reference_checkout', 'make_inputs',
    'matmul_rate', 'profile_operators', 'random_expressions', 'reference_config_file',
    'roofline_figures', 'summarize',
    'text_table', 'time_iterations', 'time_side_by_side', 'training_step'
]

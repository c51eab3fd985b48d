"""The device check (tools/analysis_tools/gpu_check.py): short training runs
at each precision, DDP steps, a Mask R-CNN test through mmcv's ops, and the
table that reports them."""
from .ddp_step import ddp_training_steps
from .mmcv_ops_test import mask_rcnn_test
from .report import format_table
from .short_training import LossRecorder, optim_wrapper_for, short_training

__all__ = [
    'LossRecorder', 'ddp_training_steps', 'format_table', 'mask_rcnn_test', 'optim_wrapper_for',
    'short_training'
]

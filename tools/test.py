"""Test (evaluate) a checkpoint with a config file.

    python tools/test.py CONFIG CHECKPOINT|FILE.onnx [--work-dir DIR] [--out RESULTS.pkl]
                         [--show-dir DIR] [--precision fp32|bf16|fp16]
                         [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]
                         [--compile] [--preflight-only]

The test set's files are checked before the model is built (see
tools/train.py, mmris/utils/preflight.py); ``--preflight-only`` stops there.

``--precision bf16`` evaluates under bf16 autocast (CPUs with native bf16,
CUDA; elsewhere fp32, with a notice), ``fp16`` under CUDA fp16 autocast: the
test loop's ``fp16`` switch of mmengine, set to that dtype; the frozen
layers' weights are stored in that dtype before the checkpoint loads
(mmris/models/utils/frozen_weights.py: the same metrics, without casting
them again for every batch).
The batch size is the config's ``test_dataloader.batch_size``
(``--cfg-options test_dataloader.batch_size=8``); every batch size gives the
same metrics. ``--compile`` runs the model's backbone, neck and decode head through
``torch.compile`` (mmris/utils/network_compile.py): the first batch of each
shape compiles; it pays for small models on long test sets
(docs/performance.md).

A CHECKPOINT ending in ``.onnx`` is a referring network exported from the
config's model (``tools/deployment/export_onnx.py``, fp32 or ``--int8``):
the test set then runs through ONNX Runtime (:class:`ORTSegmentor`: the
config's data preprocessor, tokenizer and post-processing around the file),
on the CPU, in one process, so that its metrics compare with the
checkpoint's.

Multi-process: tools/dist_test.sh CONFIG CHECKPOINT N, tools/slurm_test.sh.
"""
import argparse
import os.path as osp

import torch
from mmengine.device import get_device
from mmengine.model import is_model_wrapper

from mmris.deployment import ort_segmentor_config
from mmris.engine.hooks import FrozenWeightsPrecisionHook
from mmris.registry import RUNNERS
from mmris.utils import (
    UsageError,
    add_runner_arguments,
    config_arguments_checked,
    prepare_runner_config,
    require_checkpoint,
    require_writable_dir,
    require_writable_file,
    run_cli,
)
from mmris.utils.network_compile import compile_network
from mmris.utils.precision import DTYPES, PRECISIONS, device_type, resolve_precision
from mmris.utils.preflight import preflight


def parse_args():
    parser = argparse.ArgumentParser(description='Test (evaluate) a checkpoint.')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file, or an exported .onnx file')
    parser.add_argument('--out', metavar='RESULTS.pkl',
                        help='also dump every prediction to this pickle file')
    parser.add_argument('--show-dir', help='save a picture of each prediction in this folder')
    parser.add_argument('--precision', choices=PRECISIONS, default='fp32',
                        help='autocast: bf16 (CPUs with native bf16, CUDA) or fp16 (CUDA); '
                        'default fp32')
    parser.add_argument('--compile', action='store_true',
                        help='compile the backbone, neck and decode head with torch.compile')
    add_runner_arguments(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise UsageError(f'--out {args.out!r} must end with .pkl or .pickle')
        require_writable_file(args.out, '--out')
    if args.show_dir:
        require_writable_dir(args.show_dir, '--show-dir')
    onnx = args.checkpoint.endswith('.onnx')
    if onnx:
        require_onnx_run(args)
    else:
        require_checkpoint(args.checkpoint, 'CHECKPOINT')
    cfg = prepare_runner_config(args)
    if cfg.get('test_dataloader') is None:
        raise UsageError(f'config {args.config!r} has no test_dataloader; add test_dataloader, '
                         f'test_evaluator and test_cfg to it')
    if onnx:
        cfg.model = ort_segmentor_config(args.checkpoint, cfg.model)
    else:
        cfg.load_from = args.checkpoint
    if args.show_dir:
        if 'visualization' not in cfg.get('default_hooks', {}):
            raise UsageError('--show-dir needs default_hooks.visualization in the config, '
                             "e.g. visualization=dict(type='SegVisualizationHook')")
        # One picture per test sample, not one per `interval` batches.
        cfg.default_hooks.visualization.update(draw=True, interval=1)
        cfg.visualizer.save_dir = args.show_dir
    if args.out:
        evaluators = cfg.test_evaluator
        cfg.test_evaluator = [*(evaluators if isinstance(evaluators, list) else [evaluators]),
                              dict(type='DumpResults', out_file_path=args.out)]
    precision = set_precision(cfg, args.precision)
    preflight(cfg, 'test')
    if args.preflight_only:
        return
    with config_arguments_checked(cfg):
        runner = RUNNERS.build(cfg)
        require_matching_vocabulary(cfg, runner)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    runner.register_hook(FrozenWeightsPrecisionHook(precision))
    if args.compile:
        parts = compile_network(model)
        runner.logger.info(f'compile: {", ".join(parts)} compiled (torch.compile); the '
                           f'first batch of each shape is slow while it compiles')
    with config_arguments_checked(cfg):
        runner.test()


def require_onnx_run(args) -> None:
    """Raise UsageError where an exported file cannot be tested as asked."""
    if not osp.isfile(args.checkpoint):
        raise UsageError(f'{args.checkpoint!r} (CHECKPOINT) does not exist; write it with '
                         f'tools/deployment/export_onnx.py CONFIG CHECKPOINT --out FILE.onnx')
    for asked, flag in ((args.compile, '--compile'), (args.precision != 'fp32', '--precision'),
                        (args.launcher != 'none', '--launcher')):
        if asked:
            raise UsageError(f'{flag} applies to PyTorch checkpoints; an .onnx file runs in '
                             f'ONNX Runtime as exported, on the CPU, in one process')


def require_matching_vocabulary(cfg, runner) -> None:
    """A vocabulary model (``model.backbone.classes``, a list of names)
    predicts one label per name; tested on a set with another number of
    classes its labels do not fit the metric's. Refuse that in one line."""
    names = (cfg.model.get('backbone') or {}).get('classes')
    if not isinstance(names, (list, tuple)):
        return
    dataset = runner.test_loop.dataloader.dataset
    dataset_classes = dataset.metainfo.get('classes')
    if dataset_classes is not None and len(dataset_classes) != len(names):
        raise UsageError(
            f'model.backbone.classes has {len(names)} names but the test set '
            f'({type(dataset).__name__}) has {len(dataset_classes)} classes '
            f'({", ".join(map(str, dataset_classes))}); give the model the test set\'s classes '
            f'in its label order, or set test_dataloader.dataset.metainfo.classes to the same '
            f'names')


def set_precision(cfg, precision: str) -> str:
    """Make the test loop autocast to ``precision`` (mmengine's ``fp16``
    switch autocasts to the device's autocast dtype, set here); returns the
    precision it runs in (fp32 where the device lacks bf16)."""
    device = get_device()
    try:
        precision = resolve_precision(precision, device)
    except ValueError as error:
        raise UsageError(f'--precision: {error}') from error
    if precision != 'fp32':
        cfg.test_cfg.fp16 = True
        torch.set_autocast_dtype(device_type(device), DTYPES[precision])
    return precision


if __name__ == '__main__':
    run_cli(main)

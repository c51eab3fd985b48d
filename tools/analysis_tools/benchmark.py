"""Measure a model's inference or training speed and peak memory, alone or
side by side with the reference ETRIS.

    python tools/analysis_tools/benchmark.py CONFIG [--mode infer|train] [--checkpoint CKPT]
        [--batch-size 1] [--shape 416 | --shape H W] [--repeat 50] [--warmup 10]
        [--device cpu|cuda] [--precision fp32|bf16|fp16] [--compile] [--threads N]
        [--json OUT.json]
        [--reference ETRIS_CHECKOUT [--reference-precision fp32|bf16|fp16]]
        [--onnx FILE.onnx [FILE.onnx ...]] [--roofline] [--profile]
        [--cfg-options KEY=VALUE ...]

The model is built from the config (random weights unless ``--checkpoint``,
drawn from ``--seed`` like the inputs, so that two runs time the same model)
and run on a random image batch (B, 3, H, W) with, per image, a random
referring expression (``metainfo['text']``, for models that read one) and a
random ground truth (a binary mask, class labels for a model with
``num_classes``, or random boxes with labels, and masks, for an mmdet
detector). ``--mode infer`` (default) times ``model._forward`` in
eval mode under ``torch.no_grad``; ``--mode train`` times a training step
in train mode: ``model.loss``, backward and an Adam step over the trainable
parameters, through the optim wrapper the runner would use for the
precision (``OptimWrapper`` for fp32, ``AmpOptimWrapper`` for fp16,
:class:`mmris.engine.AutocastOptimWrapper` for bf16). ``--precision`` runs
the model under ``torch.autocast`` (bf16 on a CPU without native bf16 falls
back to fp32, saying so; fp16 needs CUDA); for inference the frozen layers'
weights are first stored in that precision, as ``RISInferencer`` and
``tools/test.py`` store them
(:func:`mmris.models.utils.store_frozen_weights_in`). After ``--warmup`` untimed
iterations, each of ``--repeat`` iterations is timed on its own with
``time.perf_counter`` (on CUDA with ``torch.cuda.synchronize`` before and
after). ``--compile`` runs the timed function through ``torch.compile``
(``model._forward``, or ``model.loss`` in training, as mmengine's Runner
compiles ``train_step`` for ``compile=True``); compilation happens in the
first warm-up iteration, which is not timed. Reported: median, mean, p90, min and max latency in ms, images/s
(batch size / median latency) and peak memory:

- CUDA: ``torch.cuda.max_memory_allocated`` (peak statistics reset first),
  and its increase over the memory allocated before;
- CPU: the peak resident set size (``VmHWM`` of /proc/self/status, reset
  through /proc/self/clear_refs; where that is impossible, the
  process-lifetime peak, ``VmHWM`` or ``ru_maxrss``) and its increase over
  the RSS before.

Alone, the peak is taken over the timed loop and the increase is over the
memory before warm-up (weights and inputs). The output says which measure
was used.

``--reference PATH`` also builds the reference ETRIS (``kkakkkka/ETRIS``)
from a local checkout of it, for the same backbone (the config's
ViT-B/16, RN50 or RN101 tower; the reference's own config file
``config/refcoco/bridge_*.yaml`` with the config's input size and text
length), with the same CLIP tower weights, written to a temporary
TorchScript archive as OpenAI ships them. The checkout needs ``loguru``
(and ``ftfy`` and ``regex``) installed. Both run in this process on the
same inputs, in the reference's own code path (its forward with the mask
in training, Adam, and on CUDA in fp16 its GradScaler), at
``--reference-precision`` (fp32 by default). The warm-up alternates them;
each timed round runs both, in alternating order, so that load on the
machine touches both alike. Memory is measured for each alone after the
warm-up, over two iterations: its peak increase over the memory before
them (both models live in one process, so absolute peaks are not theirs
alone). The table gives both and mmris / reference. Nothing is imported
from the reference unless ``--reference`` is given, and its code is
imported only while the reference is built (:func:`mmris.benchmark.imports_from`),
so its ``model`` and ``utils`` packages never shadow others.

``--onnx FILE ...`` times the referring segmentor's network against files
exported from it (``tools/deployment/export_onnx.py``, fp32 or ``--int8``)
and run by ONNX Runtime: PyTorch fp32 ``model.logits`` and each file, on
the CPU, interleaved as with ``--reference``, on the same random images
and token ids at the files' input size (``--shape``). The table gives each
file's latency over PyTorch's, the largest logit difference and the share
of stride-4 mask pixels on the same side of the config's threshold. Use
``--checkpoint`` with the checkpoint the files were exported from, so that
the logits are comparable; ONNX Runtime runs with ``--threads`` threads,
as torch does.

``--compare-attention`` (``--precision bf16``, CPU inference) times the
model with attention on torch's flash kernel and fused by oneDNN Graph
(:mod:`mmris.models.layers.onednn_attention`, the default for bf16 CPU
inference), interleaved on the same random inputs, and prints fused /
flash and each path's mean absolute output difference from fp32.

``--roofline`` also counts the FLOPs of one step (``torch.utils.flop_counter``:
matrix products, convolutions and attention, forward and backward) and
measures, in the same process just before timing, the rate of a 2048x2048
matrix product at the step's precision; it reports the rate the step
achieves (FLOPs over its median latency) and its share of that matmul rate
(:mod:`mmris.benchmark.roofline`), for mmris and, with ``--reference``,
for the reference. With ``--compile`` the FLOPs are counted in the
uncompiled step (the same products) and the rate is the compiled step's.

``--profile`` (the model alone) profiles two more steps after the timed
ones with ``torch.profiler`` and prints the 20 operators taking the most
time, each with its own time per step (not counting the operators it
calls; on CUDA, its kernels' GPU time), its share of the step's and its
calls per step (:mod:`mmris.benchmark.operator_profile`).

The measuring lives in :mod:`mmris.benchmark`; this file is its command line.
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Optional

import torch

from mmris.apis import init_model
from mmris.benchmark import (
    benchmark,
    build_reference,
    compare_attention_paths,
    compare_with_onnx,
    compare_with_reference,
    format_attention_comparison,
    format_comparison,
    format_onnx_comparison,
    format_results,
    is_reference_checkout,
)
from mmris.checkpoint.loader import UnsafeCheckpointError
from mmris.utils import (
    UsageError,
    add_cfg_options_argument,
    load_config,
    require_checkpoint,
    require_writable_file,
    run_cli,
)
from mmris.utils.precision import PRECISIONS, resolve_precision


def parse_args(argv: Optional[List[str]] = None):
    parser = argparse.ArgumentParser(
        description='Measure inference latency, throughput and peak memory of a model.')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--mode', choices=['infer', 'train'], default='infer',
                        help='time inference (default) or a training step')
    parser.add_argument('--checkpoint', help='weights to load (default: random weights)')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward (1)')
    parser.add_argument('--shape', type=int, nargs='+', default=[416], metavar='SIZE',
                        help='input side, or height and width (416)')
    parser.add_argument('--repeat', type=int, default=50, help='timed iterations (50)')
    parser.add_argument('--warmup', type=int, default=10, help='untimed iterations first (10)')
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        help='where to run (default: cuda when available, else cpu)')
    parser.add_argument('--precision', choices=PRECISIONS, default='fp32',
                        help='autocast: bf16 (CPUs with native bf16, CUDA) or fp16 (CUDA); '
                        'default fp32')
    parser.add_argument('--compile', action='store_true',
                        help='time the model through torch.compile (compiled in the first '
                        'warm-up iteration, so --warmup must be at least 1)')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s own choice)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random inputs, and of the random weights without '
                        '--checkpoint (0)')
    parser.add_argument('--json', metavar='OUT', help='also write the results to this JSON file')
    parser.add_argument('--reference', metavar='ETRIS_CHECKOUT',
                        help='also run the reference ETRIS from this local checkout of '
                        'kkakkkka/ETRIS, interleaved, and print mmris / reference')
    parser.add_argument('--reference-precision', choices=PRECISIONS, default='fp32',
                        help='precision of the reference (default fp32)')
    parser.add_argument('--onnx', nargs='+', metavar='FILE.onnx',
                        help='also run these files exported from the model with ONNX Runtime, '
                        'interleaved, and print each / PyTorch fp32 (CPU inference)')
    parser.add_argument('--compare-attention', action='store_true',
                        help='time bf16 CPU inference with attention on the flash kernel and '
                        'fused by oneDNN Graph, interleaved, and print fused / flash')
    parser.add_argument('--roofline', action='store_true',
                        help='also count the FLOPs of a step and report the share of this '
                        'machine\'s matmul rate (2048x2048, at the precision) it achieves')
    parser.add_argument('--profile', action='store_true',
                        help='also profile two steps after the timed ones and print the 20 '
                        'operators taking the most time (model alone)')
    add_cfg_options_argument(parser, 'model.backbone.bridger.d_model=32')
    return parser.parse_args(argv)


def check_args(args) -> None:
    """Raise UsageError for values that cannot be benchmarked."""
    for flag, value, least in (('--batch-size', args.batch_size, 1), ('--repeat', args.repeat, 1),
                               ('--warmup', args.warmup, 0)):
        if value < least:
            raise UsageError(f'{flag} must be at least {least}, got {value}')
    if args.compile and args.warmup < 1:
        raise UsageError('--compile needs --warmup of at least 1: the first iteration compiles')
    if args.threads is not None and args.threads < 1:
        raise UsageError(f'--threads must be at least 1, got {args.threads}')
    if len(args.shape) not in (1, 2) or min(args.shape) < 1:
        raise UsageError(f'--shape takes one positive side or a height and a width, got '
                         f'{" ".join(map(str, args.shape))}')
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise UsageError('--device cuda, but torch sees no CUDA device here; use --device cpu')
    for flag in ('precision', 'reference_precision'):
        if getattr(args, flag) == 'fp16' and args.device != 'cuda':
            raise UsageError(f'--{flag.replace("_", "-")} fp16 (CUDA autocast) needs --device '
                             f'cuda; on a CPU use bf16 or fp32')
        setattr(args, flag, resolve_precision(getattr(args, flag), args.device))
    if args.reference and not is_reference_checkout(args.reference):
        raise UsageError(f'--reference {args.reference!r} is not a checkout of the reference '
                         f'ETRIS (kkakkkka/ETRIS): it has no model/segmenter.py')
    if args.checkpoint:
        require_checkpoint(args.checkpoint, '--checkpoint')
    if args.roofline and args.onnx:
        raise UsageError('--roofline counts the FLOPs of the PyTorch step; leave out --onnx')
    if args.onnx:
        if args.reference or args.compile or args.mode != 'infer' or args.precision != 'fp32' \
                or args.device != 'cpu':
            raise UsageError('--onnx compares CPU inference in fp32; leave out --reference, '
                             '--compile, --mode train, --precision and --device cuda')
        for onnx_file in args.onnx:
            if not (onnx_file.endswith('.onnx') and osp.isfile(onnx_file)):
                raise UsageError(f'--onnx {onnx_file!r} is not an .onnx file here; write one '
                                 f'with tools/deployment/export_onnx.py')
    if args.compare_attention and (args.reference or args.onnx or args.compile or args.roofline
                                   or args.mode != 'infer' or args.device != 'cpu'
                                   or args.precision != 'bf16'):
        raise UsageError('--compare-attention compares bf16 CPU inference: give --precision bf16 '
                         '(on a CPU with native bf16) and leave out --reference, --onnx, '
                         '--compile, --roofline, --mode train and --device cuda')
    if args.profile and (args.reference or args.onnx or args.compare_attention):
        raise UsageError('--profile profiles the model alone; leave out --reference, --onnx '
                         'and --compare-attention')
    if args.json:
        require_writable_file(args.json, '--json')


def build_model(args, cfg) -> torch.nn.Module:
    """The model of ``cfg`` on ``args.device`` with ``args.checkpoint``
    (without one, random weights drawn from ``args.seed``: runs compare),
    its timed method compiled for ``--compile``; UsageError where it cannot
    be built or loaded."""
    torch.manual_seed(args.seed)
    try:
        model = init_model(cfg, checkpoint=args.checkpoint, device=args.device)
    except UnsafeCheckpointError:
        raise
    except Exception as error:  # inconsistent sizes, unknown types, checkpoint mismatch, ...
        what = 'build the model' + (' or load the checkpoint' if args.checkpoint else '')
        raise UsageError(f'could not {what} of {args.config!r}: '
                         f'{type(error).__name__}: {error}') from error
    if args.compile:
        target = 'loss' if args.mode == 'train' else '_forward'
        setattr(model, target, torch.compile(getattr(model, target)))
    return model


def run_settings(args, model: torch.nn.Module, height: int, width: int) -> Dict:
    """What a run measured with: the first entries of its results."""
    device_name = (f'cuda ({torch.cuda.get_device_name()})' if args.device == 'cuda' else 'cpu')
    return dict(config=args.config, mode=args.mode, model=type(model).__name__,
                checkpoint=args.checkpoint,
                device=args.device, device_name=device_name, threads=torch.get_num_threads(),
                torch=torch.__version__, batch_size=args.batch_size, shape=[height, width],
                precision=args.precision, compile=args.compile, warmup=args.warmup,
                repeat=args.repeat)


def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    check_args(args)
    cfg = load_config(args.config, args.cfg_options)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = True
    model = build_model(args, cfg)
    height, width = args.shape * 2 if len(args.shape) == 1 else args.shape
    results = run_settings(args, model, height, width)
    if args.reference:
        if height != width:
            raise UsageError(f'--reference needs a square input (the reference ViT assumes '
                             f'one), got --shape {height} {width}')
        reference = build_reference(args.reference, model, height, args.device)
        results.update(reference_precision=args.reference_precision,
                       **compare_with_reference(
                           model, reference, args.batch_size, height, width, args.warmup,
                           args.repeat, args.device, args.precision, args.reference_precision,
                           args.seed, args.mode, args.roofline))
        print(format_comparison(results))
    elif args.onnx:
        if not hasattr(model, 'logits'):
            raise UsageError(f'--onnx: {args.config!r} builds a {type(model).__name__}; only '
                             f'referring segmentation models (ETRIS) export to ONNX')
        try:
            results.update(compare_with_onnx(model, cfg.model, args.onnx, args.batch_size,
                                             height, width, args.warmup, args.repeat,
                                             args.seed))
        except ValueError as error:
            raise UsageError(f'--onnx: {error}') from error
        print(format_onnx_comparison(results, args.onnx))
    elif args.compare_attention:
        results.update(compare_attention_paths(model, args.batch_size, height, width,
                                               args.warmup, args.repeat, args.seed))
        print(format_attention_comparison(results))
    else:
        results.update(benchmark(model, args.batch_size, height, width, args.warmup,
                                 args.repeat, args.device, args.precision, args.seed,
                                 mode=args.mode, roofline=args.roofline,
                                 profile=args.profile))
        print(format_results(results))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'Results written to {args.json}')


if __name__ == '__main__':
    run_cli(main)

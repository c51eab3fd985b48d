"""Measure a model's inference or training speed and peak memory, alone or
side by side with the reference ETRIS.

    python tools/analysis_tools/benchmark.py CONFIG [--mode infer|train] [--checkpoint CKPT]
        [--batch-size 1] [--shape 416 | --shape H W] [--repeat 50] [--warmup 10]
        [--device cpu|cuda] [--precision fp32|bf16|fp16] [--compile] [--threads N]
        [--json OUT.json]
        [--reference ETRIS_CHECKOUT [--reference-precision fp32|bf16|fp16]]
        [--cfg-options KEY=VALUE ...]

The model is built from the config (random weights unless ``--checkpoint``)
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
back to fp32, saying so; fp16 needs CUDA). After ``--warmup`` untimed
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
from the reference unless ``--reference`` is given.
"""
import argparse
import ctypes
import ctypes.util
import gc
import json
import os.path as osp
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from mmengine.utils import ProgressBar

from mmris.apis import init_model
from mmris.checkpoint.loader import UnsafeCheckpointError
from mmris.utils import UsageError, add_cfg_options_argument, load_config, require_checkpoint, run_cli
from mmris.utils.precision import PRECISIONS, autocast, resolve_precision

# Words that make plausible RefCOCO-style expressions; each is one BPE token.
_WORDS = ('man', 'woman', 'left', 'right', 'red', 'shirt', 'the', 'on', 'in', 'blue', 'car',
          'dog', 'bottom', 'top', 'middle', 'person', 'with', 'hat', 'white', 'black', 'chair',
          'behind', 'small', 'large', 'near', 'umbrella', 'guy', 'girl', 'green', 'table')


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
    parser.add_argument('--seed', type=int, default=0, help='seed of the random inputs (0)')
    parser.add_argument('--json', metavar='OUT', help='also write the results to this JSON file')
    parser.add_argument('--reference', metavar='ETRIS_CHECKOUT',
                        help='also run the reference ETRIS from this local checkout of '
                        'kkakkkka/ETRIS, interleaved, and print mmris / reference')
    parser.add_argument('--reference-precision', choices=PRECISIONS, default='fp32',
                        help='precision of the reference (default fp32)')
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
    if args.reference and not osp.isfile(osp.join(args.reference, 'model', 'segmenter.py')):
        raise UsageError(f'--reference {args.reference!r} is not a checkout of the reference '
                         f'ETRIS (kkakkkka/ETRIS): it has no model/segmenter.py')
    if args.checkpoint:
        require_checkpoint(args.checkpoint, '--checkpoint')
    if args.json and osp.dirname(args.json) and not osp.isdir(osp.dirname(args.json)):
        raise UsageError(f'--json {args.json!r}: folder {osp.dirname(args.json)!r} does not exist')


def random_expressions(count: int, seed: int = 0) -> List[str]:
    """``count`` random expressions of 2 to 8 common words."""
    rng = random.Random(seed)
    return [' '.join(rng.choice(_WORDS) for _ in range(rng.randint(2, 8))) for _ in range(count)]


def detection_sample(text: str, shape, num_classes: int, with_mask: bool,
                     generator: torch.Generator, num_boxes: int = 3):
    """A DetDataSample for an image of ``shape`` (H, W) with ``text`` as
    ``metainfo['text']`` and ``num_boxes`` random ground-truth boxes
    (x1, y1, x2, y2; sides of 1/8 to 1/2 of the image) with labels below
    ``num_classes``, and box-filled masks if ``with_mask``."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    height, width = shape
    size = torch.tensor([width, height], dtype=torch.float32)
    corner = torch.rand(num_boxes, 2, generator=generator) * size / 2
    sides = (torch.rand(num_boxes, 2, generator=generator) * 3 + 1) * size / 8
    boxes = torch.cat([corner, corner + sides], dim=1)
    instances = InstanceData(bboxes=boxes,
                             labels=torch.randint(0, num_classes, (num_boxes, ),
                                                  generator=generator))
    if with_mask:
        masks = np.zeros((num_boxes, height, width), dtype=np.uint8)
        for mask, (x1, y1, x2, y2) in zip(masks, boxes.round().int().tolist()):
            mask[y1:y2, x1:x2] = 1
        instances.masks = BitmapMasks(masks, height, width)
    return DetDataSample(
        metainfo=dict(text=text, img_shape=shape, ori_shape=shape, pad_shape=shape,
                      batch_input_shape=shape, scale_factor=(1., 1.)),
        gt_instances=instances)


def make_inputs(model: torch.nn.Module, batch_size: int, height: int, width: int,
                device: str, seed: int = 0):
    """A random normalised image batch and one data sample per image with a
    random expression as ``metainfo['text']`` and a random ground truth: for
    an mmdet detector, :func:`detection_sample`'s boxes with labels below its
    head's ``num_classes``; otherwise ``gt_sem_seg`` (1, H, W), labels below
    ``model.num_classes`` for a model with classes, else a binary mask."""
    from mmdet.models.detectors import BaseDetector
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(batch_size, 3, height, width, generator=generator).to(device)
    texts = random_expressions(batch_size, seed)
    backbone = getattr(model, 'backbone', None)
    if hasattr(backbone, 'tokenize'):  # make sure every expression fits untruncated
        ids = backbone.tokenize(texts)
        if (~backbone.text_encoder.padding_mask(ids)).sum(dim=1).max() >= ids.shape[1]:
            raise UsageError(f'the random expressions do not fit the {ids.shape[1]} text tokens '
                             f'of this model')
    shape = (height, width)
    if isinstance(model, BaseDetector):
        roi_head = getattr(model, 'roi_head', None)
        head = model.bbox_head if roi_head is None else roi_head.bbox_head
        with_mask = roi_head is not None and roi_head.with_mask
        return images, [detection_sample(text, shape, head.num_classes, with_mask,
                                         generator).to(device) for text in texts]
    num_classes = getattr(model, 'num_classes', None)
    samples = []
    for text in texts:
        if num_classes:
            truth = torch.randint(0, num_classes, (1, *shape), generator=generator)
        else:
            truth = (torch.rand(1, *shape, generator=generator) > 0.5).float()
        samples.append(SegDataSample(
            metainfo=dict(text=text, img_shape=shape, ori_shape=shape, pad_shape=shape),
            gt_sem_seg=PixelData(data=truth.to(device))))
    return images, samples


def _status_kb(field: str) -> Optional[int]:
    """``field`` (e.g. 'VmRSS') of /proc/self/status in kB, or None."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def _ru_maxrss_kb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == 'darwin' else peak  # bytes on macOS


def _release_freed_memory() -> None:
    """Collect garbage and give memory the C allocator holds free back to
    the system (glibc ``malloc_trim``), so that the RSS counts live memory."""
    gc.collect()
    libc = ctypes.util.find_library('c')
    try:
        ctypes.CDLL(libc).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc
        pass


class MemoryProbe:
    """Peak memory over a stretch of iterations and its increase over a
    baseline taken earlier; see the module doc for the measures."""

    def __init__(self, device: str):
        self.device = device
        self.cuda = device.startswith('cuda')

    def baseline(self) -> None:
        """Record the memory in use now."""
        _release_freed_memory()
        if self.cuda:
            torch.cuda.synchronize()
            self.base = torch.cuda.memory_allocated()
        else:
            rss = _status_kb('VmRSS')
            self.base = None if rss is None else rss * 1024

    def start(self, since: str = 'before warm-up') -> None:
        """Start tracking the peak; ``since`` names when :meth:`baseline` ran."""
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.measure = (f'CUDA torch.cuda.max_memory_allocated; increase over memory '
                            f'allocated {since}')
        elif _status_kb('VmHWM') is not None and _reset_peak_rss():
            self.measure = (f'CPU peak RSS (VmHWM, reset via /proc/self/clear_refs); increase '
                            f'over RSS {since}')
            self._peak = lambda: _status_kb('VmHWM') * 1024
        elif _status_kb('VmHWM') is not None:
            self.measure = (f'CPU peak RSS since process start (VmHWM, could not reset); '
                            f'increase over RSS {since}')
            self._peak = lambda: _status_kb('VmHWM') * 1024
        else:
            self.measure = 'CPU peak RSS since process start (ru_maxrss)'
            self._peak = lambda: _ru_maxrss_kb() * 1024

    def stop(self) -> Dict:
        """Peak and increase (MiB) since :meth:`start`, and the measure."""
        if self.cuda:
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated()
        else:
            peak = self._peak()
        mib = 1024 ** 2
        increase = None if self.base is None else (peak - self.base) / mib
        return dict(peak_memory_mb=peak / mib, memory_increase_mb=increase,
                    memory_measure=self.measure)


def _synchronizer(device: str) -> Callable[[], None]:
    return torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)


def _progress(total: int, title: str) -> ProgressBar:
    """mmengine's progress bar over ``total`` iterations, after a title line."""
    print(title, flush=True)
    return ProgressBar(total)


def time_iterations(step: Callable[[], object], warmup: int, repeat: int, device: str,
                    title: str = 'timing', progress: bool = True,
                    probe: Optional[MemoryProbe] = None) -> List[float]:
    """Run ``step`` ``warmup`` times, then time ``repeat`` runs one by one.

    Returns the ``repeat`` latencies in seconds. On CUDA the device is
    synchronised before and after every timed run. ``probe`` takes its
    baseline before the warm-up and tracks the peak over the timed runs.
    """
    sync = _synchronizer(device)
    if probe is not None:
        probe.baseline()
    bar = _progress(warmup, f'{title}: warm-up') if progress and warmup else None
    for _ in range(warmup):
        step()
        if bar:
            bar.update()
    if bar:
        print()
    sync()
    if probe is not None:
        probe.start()
    bar = _progress(repeat, f'{title}: timed') if progress else None
    times = []
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
        if bar:
            bar.update()
    if bar:
        print()
    return times


def time_side_by_side(steps: Dict[str, Callable[[], object]], warmup: int, repeat: int,
                      device: str, memory_iterations: int = 2, progress: bool = True
                      ) -> Dict[str, Dict]:
    """Time several steps under the same conditions.

    The warm-up alternates them; then each alone runs ``memory_iterations``
    times for its memory figures (peak and increase over the memory just
    before); then every timed round runs each once, in alternating order.
    Returns, per step, ``times`` (s) and the :class:`MemoryProbe` figures.
    """
    sync = _synchronizer(device)
    names = list(steps)
    bar = _progress(warmup, 'warm-up, alternating') if progress and warmup else None
    for _ in range(warmup):
        for name in names:
            steps[name]()
        if bar:
            bar.update()
    if bar:
        print()
    results = {}
    for name in names:
        probe = MemoryProbe(device)
        probe.baseline()
        probe.start(since=f'before its own {memory_iterations} iterations')
        for _ in range(memory_iterations):
            steps[name]()
        results[name] = dict(probe.stop(), times=[])
    bar = _progress(repeat, 'timed, interleaved') if progress else None
    for index in range(repeat):
        for name in names if index % 2 == 0 else names[::-1]:
            sync()
            start = time.perf_counter()
            steps[name]()
            sync()
            results[name]['times'].append(time.perf_counter() - start)
        if bar:
            bar.update()
    if bar:
        print()
    return results


def summarize(times: List[float], batch_size: int) -> Dict:
    """Latency statistics (ms) and images/s of per-iteration ``times`` (s)."""
    ms = np.asarray(times) * 1e3
    median = float(np.median(ms))
    return dict(median_ms=median, mean_ms=float(ms.mean()),
                p90_ms=float(np.percentile(ms, 90)), min_ms=float(ms.min()),
                max_ms=float(ms.max()), std_ms=float(ms.std()),
                images_per_s=batch_size / (median / 1e3))


def _table(rows: List[List[str]]) -> List[str]:
    """A plain-text table of ``rows`` (the first is the header, if several columns)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = '+' + '+'.join('-' * (width + 2) for width in widths) + '+'
    lines = [rule]
    for row in rows:
        lines.append('| ' + ' | '.join(cell.ljust(width) for cell, width in zip(row, widths)) + ' |')
    return lines + [rule]


def _header(results: Dict) -> List[str]:
    height, width = results['shape']
    return [
        f'Benchmark of {results["config"]}: {results["mode"]} ({results["model"]}, '
        f'{"checkpoint " + results["checkpoint"] if results["checkpoint"] else "random weights"})',
        f'device {results["device_name"]}, {results["threads"]} CPU threads, batch '
        f'{results["batch_size"]}, input {height}x{width}, {results["precision"]}'
        f'{" compiled" if results["compile"] else ""}, warm-up '
        f'{results["warmup"]}, timed {results["repeat"]}, torch {results["torch"]}',
    ]


def format_results(results: Dict) -> str:
    rows = [
        ['Latency median', f'{results["median_ms"]:.2f} ms'],
        ['Latency mean', f'{results["mean_ms"]:.2f} ms'],
        ['Latency p90', f'{results["p90_ms"]:.2f} ms'],
        ['Latency min / max', f'{results["min_ms"]:.2f} / {results["max_ms"]:.2f} ms'],
        ['Throughput', f'{results["images_per_s"]:.2f} images/s (batch / median)'],
        ['Peak memory', f'{results["peak_memory_mb"]:.1f} MiB'],
    ]
    if results['memory_increase_mb'] is not None:
        rows.append(['Peak memory increase', f'{results["memory_increase_mb"]:.1f} MiB'])
    return '\n'.join(_header(results) + _table(rows)
                     + [f'Memory measure: {results["memory_measure"]}'])


def format_comparison(results: Dict) -> str:
    """The side-by-side table: reference, mmris and their ratio."""
    ref, ours = results['reference'], results['mmris']

    def row(label, key, unit, digits=2):
        ratio = ours[key] / ref[key] if ref.get(key) else float('nan')
        return [label, f'{ref[key]:.{digits}f} {unit}', f'{ours[key]:.{digits}f} {unit}',
                f'{ratio:.2f}']

    rows = [['', f'reference ({results["reference_precision"]})',
             f'mmris ({results["precision"]})', 'mmris / reference'],
            row('Latency median', 'median_ms', 'ms'), row('Latency p90', 'p90_ms', 'ms'),
            row('Latency min', 'min_ms', 'ms'), row('Throughput', 'images_per_s', 'images/s')]
    if ours['memory_increase_mb'] is not None:
        rows.append(row('Peak memory increase', 'memory_increase_mb', 'MiB', 1))
    return '\n'.join(_header(results) + [f'reference ETRIS: {results["reference"]["source"]}']
                     + _table(rows) + [f'Memory measure: {ours["memory_measure"]}'])


def inference_step(model: torch.nn.Module, images: torch.Tensor, samples: list,
                   precision: str = 'fp32', device: str = 'cpu') -> Callable[[], object]:
    """``model._forward`` in eval mode without gradients, under the autocast
    of ``precision``."""
    model.eval()

    def step():
        with torch.no_grad(), autocast(precision, device):
            return model._forward(images, samples)

    return step


def training_step(model: torch.nn.Module, images: torch.Tensor, samples: list,
                  precision: str = 'fp32', device: str = 'cpu') -> Callable[[], object]:
    """One optimisation step in train mode: ``model.loss``, backward and Adam
    over the trainable parameters, through the optim wrapper of
    ``precision`` (see the module doc)."""
    from mmengine.optim import AmpOptimWrapper, OptimWrapper

    from mmris.engine import AutocastOptimWrapper
    from mmris.utils.precision import device_type
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise UsageError('the model has no trainable parameters to time a training step of')
    optimizer = torch.optim.Adam(params, lr=1e-4)
    if precision == 'fp16':
        wrapper = AmpOptimWrapper(optimizer=optimizer)
    elif precision == 'bf16':
        wrapper = AutocastOptimWrapper(optimizer=optimizer, device_type=device_type(device))
    else:
        wrapper = OptimWrapper(optimizer)

    def step():
        with wrapper.optim_context(model):
            losses = model.loss(images, samples)
        loss, _ = model.parse_losses(losses)
        wrapper.update_params(loss)
        return loss

    return step


def benchmark(model: torch.nn.Module, batch_size: int, height: int, width: int, warmup: int,
              repeat: int, device: str, precision: str = 'fp32', seed: int = 0,
              progress: bool = True, title: str = 'benchmark', mode: str = 'infer') -> Dict:
    """Time an inference or training step (``mode``) on random inputs;
    returns :func:`summarize`'s statistics plus the memory figures and the
    raw ``times_ms``."""
    images, samples = make_inputs(model, batch_size, height, width, device, seed)
    make_step = training_step if mode == 'train' else inference_step
    step = make_step(model, images, samples, precision, device)
    probe = MemoryProbe(device)
    times = time_iterations(step, warmup, repeat, device, title, progress, probe)
    return dict(**summarize(times, batch_size), **probe.stop(),
                times_ms=[t * 1e3 for t in times])


# The reference ETRIS ----------------------------------------------------------
# Its config file per vision tower: (encoder type, ResNet block counts or None).
REFERENCE_CONFIG_FILES = {
    ('CLIPVisionTransformer', None): 'bridge_v16.yaml',
    ('CLIPModifiedResNet', (3, 4, 6, 3)): 'bridge_r50.yaml',
    ('CLIPModifiedResNet', (3, 4, 23, 3)): 'bridge_r101.yaml',
}


def reference_config_file(model: torch.nn.Module) -> str:
    """The reference config file (``config/refcoco/*.yaml``) of ``model``'s
    vision tower; UsageError for a model the reference does not have."""
    vision = getattr(getattr(model, 'backbone', None), 'vision_encoder', None)
    kind = type(vision).__name__
    blocks = None
    if kind == 'CLIPModifiedResNet':
        blocks = tuple(len(getattr(vision, f'layer{i}')) for i in range(1, 5))
    name = REFERENCE_CONFIG_FILES.get((kind, blocks))
    if name is None:
        raise UsageError(f'--reference: the reference ETRIS has ViT-B/16, RN50 and RN101 '
                         f'models; this config\'s vision tower is {kind}'
                         f'{"" if blocks is None else " with blocks " + str(blocks)}. Use one '
                         f'of configs/etris/*')
    return name


def openai_state_dict(backbone: torch.nn.Module) -> Dict[str, torch.Tensor]:
    """The CLIP towers' weights of a :class:`BridgedDualEncoder` in OpenAI's
    layout (``visual.*``, the text tower at the top level), without what
    OpenAI's archives do not hold (the RN pool's ``connect`` branch)."""
    vision, text = backbone.vision_encoder, backbone.text_encoder
    state = {f'visual.{key}': value for key, value in vision.state_dict().items()
             if not key.startswith(vision.keys_not_in_openai_weights)}
    state.update(text.state_dict())
    return state


class _ArchiveNode(torch.nn.Module):
    """A scriptable module that only holds buffers (a node of an archive)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def write_torchscript_archive(state: Dict[str, torch.Tensor], path: Path) -> None:
    """Save ``state`` as a TorchScript archive whose ``state_dict()`` is
    ``state``, the form of OpenAI's CLIP files."""
    root = _ArchiveNode()
    for key, value in state.items():
        *parents, leaf = key.split('.')
        node = root
        for name in parents:
            if name not in node._modules:
                node.add_module(name, _ArchiveNode())
            node = node._modules[name]
        node.register_buffer(leaf, value.detach().cpu().clone())
    torch.jit.script(root).save(str(path))


def build_reference(checkout: str, model: torch.nn.Module, input_size: int,
                    device: str) -> torch.nn.Module:
    """The reference ETRIS of ``model``'s backbone, from a local checkout,
    with ``model``'s CLIP tower weights; its ``source`` attribute says what
    it was built from.

    Raises:
        UsageError: the reference cannot be imported or built, or its
            trainable parameters differ in number from ``model``'s.
    """
    import yaml
    config_file = Path(checkout).resolve() / 'config' / 'refcoco' / reference_config_file(model)
    sys.path.insert(0, str(Path(checkout).resolve()))
    try:
        from model.segmenter import ETRIS as ReferenceETRIS
    except ImportError as error:
        raise UsageError(f'--reference {checkout!r}: cannot import its model ({error}); it '
                         f'needs loguru, ftfy and regex installed') from error
    with open(config_file) as f:
        args = {}
        for section in yaml.safe_load(f).values():
            args.update(section)
    args.update(input_size=input_size, word_len=model.backbone.text_encoder.text_length)
    with tempfile.TemporaryDirectory(prefix='etris_reference_') as folder:
        # The reference tells a ResNet from a ViT by 'RN' in the archive's path.
        archive = Path(folder) / Path(args['clip_pretrain']).name
        if ('RN' in str(archive)) != ('RN' in archive.name):
            raise UsageError(f'--reference: the temporary folder {folder!r} has "RN" in its '
                             f'path, which the reference reads as a ResNet; set TMPDIR')
        write_torchscript_archive(openai_state_dict(model.backbone), archive)
        reference = ReferenceETRIS(SimpleNamespace(**dict(args, clip_pretrain=str(archive))))
    trainable = [sum(p.numel() for p in m.parameters() if p.requires_grad)
                 for m in (reference, model)]
    if trainable[0] != trainable[1]:
        raise UsageError(f'--reference: the reference ETRIS of {config_file.name} has '
                         f'{trainable[0]:,} trainable parameters and this model {trainable[1]:,}; '
                         f'compare a config of configs/etris/* without model changes')
    reference.source = f'{config_file}, input {input_size}, L={args["word_len"]}'
    return reference.to(device)


def reference_inference_step(reference: torch.nn.Module, images: torch.Tensor,
                             token_ids: torch.Tensor, precision: str, device: str
                             ) -> Callable[[], object]:
    """The reference's forward in eval mode without gradients."""
    reference.eval()

    def step():
        with torch.no_grad(), autocast(precision, device):
            return reference(images, token_ids)

    return step


def reference_training_step(reference: torch.nn.Module, images: torch.Tensor,
                            token_ids: torch.Tensor, masks: torch.Tensor, precision: str,
                            device: str) -> Callable[[], object]:
    """The reference's training step (its train loop): forward with the
    mask, which returns the loss, then Adam, with a GradScaler in fp16."""
    reference.train()
    optimizer = torch.optim.Adam([p for p in reference.parameters() if p.requires_grad],
                                 lr=1e-4)
    scaler = torch.amp.GradScaler('cuda') if precision == 'fp16' else None

    def step():
        with autocast(precision, device):
            _, _, loss = reference(images, token_ids, masks)
        optimizer.zero_grad()
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        return loss

    return step


def compare_with_reference(model: torch.nn.Module, reference: torch.nn.Module, args,
                           height: int, width: int) -> Dict:
    """Time mmris and the reference side by side (:func:`time_side_by_side`)
    on the same inputs; per implementation the statistics of
    :func:`benchmark`."""
    images, samples = make_inputs(model, args.batch_size, height, width, args.device, args.seed)
    token_ids = model.backbone.tokenize([sample.metainfo['text'] for sample in samples])
    if args.mode == 'train':
        masks = torch.stack([sample.gt_sem_seg.data for sample in samples]).float()
        steps = dict(
            reference=reference_training_step(reference, images, token_ids, masks,
                                              args.reference_precision, args.device),
            mmris=training_step(model, images, samples, args.precision, args.device))
    else:
        steps = dict(
            reference=reference_inference_step(reference, images, token_ids,
                                               args.reference_precision, args.device),
            mmris=inference_step(model, images, samples, args.precision, args.device))
    timed = time_side_by_side(steps, args.warmup, args.repeat, args.device)
    results = {}
    for name, figures in timed.items():
        times = figures.pop('times')
        results[name] = dict(**summarize(times, args.batch_size), **figures,
                             times_ms=[t * 1e3 for t in times])
    results['reference']['source'] = reference.source
    results['ratio'] = {key: results['mmris'][key] / results['reference'][key]
                        for key in ('median_ms', 'p90_ms', 'min_ms', 'memory_increase_mb')
                        if results['reference'][key]}
    return results


def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    check_args(args)
    cfg = load_config(args.config, args.cfg_options)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = True
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
    height, width = args.shape * 2 if len(args.shape) == 1 else args.shape
    device_name = (f'cuda ({torch.cuda.get_device_name()})' if args.device == 'cuda' else 'cpu')
    results = dict(config=args.config, mode=args.mode, model=type(model).__name__,
                   checkpoint=args.checkpoint,
                   device=args.device, device_name=device_name, threads=torch.get_num_threads(),
                   torch=torch.__version__, batch_size=args.batch_size, shape=[height, width],
                   precision=args.precision, compile=args.compile, warmup=args.warmup,
                   repeat=args.repeat)
    if args.reference:
        if height != width:
            raise UsageError(f'--reference needs a square input (the reference ViT assumes '
                             f'one), got --shape {height} {width}')
        reference = build_reference(args.reference, model, height, args.device)
        results.update(reference_precision=args.reference_precision,
                       **compare_with_reference(model, reference, args, height, width))
        print(format_comparison(results))
    else:
        results.update(benchmark(model, args.batch_size, height, width, args.warmup,
                                 args.repeat, args.device, args.precision, args.seed,
                                 mode=args.mode))
        print(format_results(results))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'Results written to {args.json}')


if __name__ == '__main__':
    run_cli(main)

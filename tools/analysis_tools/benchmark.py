"""Measure a model's inference or training speed and peak memory.

    python tools/analysis_tools/benchmark.py CONFIG [--mode infer|train] [--checkpoint CKPT]
        [--batch-size 1] [--shape 416 | --shape H W] [--repeat 50] [--warmup 10]
        [--device cpu|cuda] [--fp16] [--threads N] [--json OUT.json]
        [--cfg-options KEY=VALUE ...]

The model is built from the config (random weights unless ``--checkpoint``)
and run on a random image batch (B, 3, H, W) with, per image, a random
referring expression (``metainfo['text']``, for models that read one) and a
random ground truth (a binary mask, class labels for a model with
``num_classes``, or random boxes with labels, and masks, for an mmdet
detector). ``--mode infer`` (default) times ``model._forward`` in
eval mode under ``torch.no_grad``; ``--mode train`` times a training step
in train mode: ``model.loss``, backward and an Adam step over the trainable
parameters, through mmengine's ``OptimWrapper`` (``AmpOptimWrapper`` with
``--fp16``), as the runner does. After ``--warmup`` untimed iterations,
each of ``--repeat`` iterations is timed on its own with
``time.perf_counter`` (on CUDA with ``torch.cuda.synchronize`` before and
after). Reported: median, mean, p90, min and max latency in ms, images/s
(batch size / median latency) and peak memory:

- CUDA: ``torch.cuda.max_memory_allocated`` over the timed loop (peak
  statistics reset before it), and its increase over the memory allocated
  before warm-up (weights and inputs);
- CPU: the peak resident set size over the timed loop (``VmHWM`` of
  /proc/self/status, reset through /proc/self/clear_refs before the loop;
  where that is impossible, the process-lifetime peak, ``VmHWM`` or
  ``ru_maxrss``) and its increase over the RSS before warm-up.

The output says which measure was used. ``--fp16`` runs under CUDA
autocast (float16) and is refused on CPU.
"""
import argparse
import gc
import json
import os.path as osp
import random
import resource
import sys
import time
from contextlib import nullcontext
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from mmengine.utils import ProgressBar

from mmris.apis import init_model
from mmris.engine.checkpoint_loader import UnsafeCheckpointError
from mmris.utils import (UsageError, add_cfg_options_argument, load_config, require_checkpoint,
                         run_cli)

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
    parser.add_argument('--fp16', action='store_true', help='CUDA autocast to float16')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s own choice)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random inputs (0)')
    parser.add_argument('--json', metavar='OUT', help='also write the results to this JSON file')
    add_cfg_options_argument(parser, 'model.backbone.bridger.d_model=32')
    return parser.parse_args(argv)


def check_args(args) -> None:
    """Raise UsageError for values that cannot be benchmarked."""
    for flag, value, least in (('--batch-size', args.batch_size, 1), ('--repeat', args.repeat, 1),
                               ('--warmup', args.warmup, 0)):
        if value < least:
            raise UsageError(f'{flag} must be at least {least}, got {value}')
    if args.threads is not None and args.threads < 1:
        raise UsageError(f'--threads must be at least 1, got {args.threads}')
    if len(args.shape) not in (1, 2) or min(args.shape) < 1:
        raise UsageError(f'--shape takes one positive side or a height and a width, got '
                         f'{" ".join(map(str, args.shape))}')
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise UsageError('--device cuda, but torch sees no CUDA device here; use --device cpu')
    if args.fp16 and args.device != 'cuda':
        raise UsageError('--fp16 (CUDA autocast) needs --device cuda; on CPU benchmark in fp32 '
                         '(leave out --fp16)')
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


class MemoryProbe:
    """Peak memory over the timed loop and its increase over a baseline
    taken before warm-up; see the module doc for the measures."""

    def __init__(self, device: str):
        self.device = device
        self.cuda = device.startswith('cuda')

    def before_warmup(self) -> None:
        gc.collect()
        if self.cuda:
            torch.cuda.synchronize()
            self.baseline = torch.cuda.memory_allocated()
        else:
            rss = _status_kb('VmRSS')
            self.baseline = None if rss is None else rss * 1024

    def before_timed(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.measure = ('CUDA torch.cuda.max_memory_allocated over the timed loop; increase '
                            'over memory allocated before warm-up')
        elif _status_kb('VmHWM') is not None and _reset_peak_rss():
            self.measure = ('CPU peak RSS over the timed loop (VmHWM, reset via '
                            '/proc/self/clear_refs); increase over RSS before warm-up')
            self._peak = lambda: _status_kb('VmHWM') * 1024
        elif _status_kb('VmHWM') is not None:
            self.measure = ('CPU peak RSS since process start (VmHWM, could not reset); '
                            'increase over RSS before warm-up')
            self._peak = lambda: _status_kb('VmHWM') * 1024
        else:
            self.measure = 'CPU peak RSS since process start (ru_maxrss)'
            self._peak = lambda: _ru_maxrss_kb() * 1024

    def after_timed(self) -> Dict:
        if self.cuda:
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated()
        else:
            peak = self._peak()
        mib = 1024 ** 2
        increase = None if self.baseline is None else (peak - self.baseline) / mib
        return dict(peak_memory_mb=peak / mib, memory_increase_mb=increase,
                    memory_measure=self.measure)


def _progress(total: int, title: str) -> ProgressBar:
    """mmengine's progress bar over ``total`` iterations, after a title line."""
    print(title, flush=True)
    return ProgressBar(total)


def time_iterations(step: Callable[[], object], warmup: int, repeat: int, device: str,
                    title: str = 'timing', progress: bool = True,
                    probe: Optional[MemoryProbe] = None) -> List[float]:
    """Run ``step`` ``warmup`` times, then time ``repeat`` runs one by one.

    Returns the ``repeat`` latencies in seconds. On CUDA the device is
    synchronised before and after every timed run.
    """
    cuda = device.startswith('cuda')
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if probe is not None:
        probe.before_warmup()
    bar = _progress(warmup, f'{title}: warm-up') if progress and warmup else None
    for _ in range(warmup):
        step()
        if bar:
            bar.update()
    if bar:
        print()
    sync()
    if probe is not None:
        probe.before_timed()
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


def summarize(times: List[float], batch_size: int) -> Dict:
    """Latency statistics (ms) and images/s of per-iteration ``times`` (s)."""
    ms = np.asarray(times) * 1e3
    median = float(np.median(ms))
    return dict(median_ms=median, mean_ms=float(ms.mean()),
                p90_ms=float(np.percentile(ms, 90)), min_ms=float(ms.min()),
                max_ms=float(ms.max()), std_ms=float(ms.std()),
                images_per_s=batch_size / (median / 1e3))


def format_results(results: Dict) -> str:
    rows = [
        ('Latency median', f'{results["median_ms"]:.2f} ms'),
        ('Latency mean', f'{results["mean_ms"]:.2f} ms'),
        ('Latency p90', f'{results["p90_ms"]:.2f} ms'),
        ('Latency min / max', f'{results["min_ms"]:.2f} / {results["max_ms"]:.2f} ms'),
        ('Throughput', f'{results["images_per_s"]:.2f} images/s (batch / median)'),
        ('Peak memory', f'{results["peak_memory_mb"]:.1f} MiB'),
    ]
    if results['memory_increase_mb'] is not None:
        rows.append(('Peak memory increase', f'{results["memory_increase_mb"]:.1f} MiB'))
    height, width = results['shape']
    lines = [
        f'Benchmark of {results["config"]}: {results["mode"]} ({results["model"]}, '
        f'{"checkpoint " + results["checkpoint"] if results["checkpoint"] else "random weights"})',
        f'device {results["device_name"]}, {results["threads"]} CPU threads, batch '
        f'{results["batch_size"]}, input {height}x{width}, '
        f'{"fp16 autocast" if results["fp16"] else "fp32"}, warm-up {results["warmup"]}, '
        f'timed {results["repeat"]}, torch {results["torch"]}',
    ]
    label_width = max(len(label) for label, _ in rows)
    value_width = max(len(value) for _, value in rows)
    rule = f'+{"-" * (label_width + 2)}+{"-" * (value_width + 2)}+'
    lines.append(rule)
    lines += [f'| {label:<{label_width}} | {value:<{value_width}} |' for label, value in rows]
    lines += [rule, f'Memory measure: {results["memory_measure"]}']
    return '\n'.join(lines)


def inference_step(model: torch.nn.Module, images: torch.Tensor, samples: list,
                   fp16: bool) -> Callable[[], object]:
    """``model._forward`` in eval mode without gradients."""
    model.eval()
    autocast = (lambda: torch.autocast('cuda', dtype=torch.float16)) if fp16 else nullcontext

    def step():
        with torch.no_grad(), autocast():
            return model._forward(images, samples)

    return step


def training_step(model: torch.nn.Module, images: torch.Tensor, samples: list,
                  fp16: bool) -> Callable[[], object]:
    """One optimisation step in train mode: ``model.loss``, backward and Adam
    over the trainable parameters, through an mmengine optim wrapper."""
    from mmengine.optim import AmpOptimWrapper, OptimWrapper
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise UsageError('the model has no trainable parameters to time a training step of')
    optimizer = torch.optim.Adam(params, lr=1e-4)
    wrapper = AmpOptimWrapper(optimizer=optimizer) if fp16 else OptimWrapper(optimizer)

    def step():
        with wrapper.optim_context(model):
            losses = model.loss(images, samples)
        loss, _ = model.parse_losses(losses)
        wrapper.update_params(loss)
        return loss

    return step


def benchmark(model: torch.nn.Module, batch_size: int, height: int, width: int, warmup: int,
              repeat: int, device: str, fp16: bool = False, seed: int = 0,
              progress: bool = True, title: str = 'benchmark', mode: str = 'infer') -> Dict:
    """Time an inference or training step (``mode``) on random inputs;
    returns :func:`summarize`'s statistics plus the memory figures and the
    raw ``times_ms``."""
    images, samples = make_inputs(model, batch_size, height, width, device, seed)
    make_step = training_step if mode == 'train' else inference_step
    step = make_step(model, images, samples, fp16)
    probe = MemoryProbe(device)
    times = time_iterations(step, warmup, repeat, device, title, progress, probe)
    return dict(**summarize(times, batch_size), **probe.after_timed(),
                times_ms=[t * 1e3 for t in times])


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
    height, width = args.shape * 2 if len(args.shape) == 1 else args.shape
    stats = benchmark(model, args.batch_size, height, width, args.warmup, args.repeat,
                      args.device, args.fp16, args.seed, mode=args.mode)
    device_name = (f'cuda ({torch.cuda.get_device_name()})' if args.device == 'cuda' else 'cpu')
    results = dict(config=args.config, mode=args.mode, model=type(model).__name__,
                   checkpoint=args.checkpoint,
                   device=args.device, device_name=device_name, threads=torch.get_num_threads(),
                   torch=torch.__version__, batch_size=args.batch_size, shape=[height, width],
                   fp16=args.fp16, warmup=args.warmup, repeat=args.repeat, **stats)
    print(format_results(results))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'Results written to {args.json}')


if __name__ == '__main__':
    run_cli(main)

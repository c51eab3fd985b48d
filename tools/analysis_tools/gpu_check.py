"""Check the GPU paths in one command: AMP training, DDP with SyncBN, mmcv's
CUDA ops and the benchmark against the reference ETRIS.

    python tools/analysis_tools/gpu_check.py [--device cuda|cpu] [--short] [--iters N]
        [--checks train ddp mmcv bench] [--tasks referring seg det cls]
        [--precisions fp16 bf16] [--reference ETRIS_CHECKOUT] [--work-dir DIR] [--json OUT]

Checks (all by default):

- ``train``: each demo config (``--tasks``: referring, seg, det, cls) trains
  ``--iters`` iterations (300) at each precision (on CUDA: AMP fp16 and
  bf16; on a CPU: fp32 and bf16 autocast, emulated where the CPU has no
  native bf16), then validates. Reported: the loss at the start and the end
  (mean of the first and last quarter), the count of NaN/inf losses and the
  first validation figure, against the fp32 run of the same config on the
  CPU (on CUDA that run goes in a second process at the same time, with
  CUDA hidden from it).
- ``ddp``: one training step of each task's config under
  DistributedDataParallel, in one group of two processes (nccl with SyncBN, one per GPU,
  at most 2; on a CPU, gloo with BatchNorm per process, since SyncBN needs
  CUDA); reported: the loss on each rank and DDP's "Grad strides do not
  match bucket view strides" warnings (there should be none).
- ``mmcv``: one test step of ``configs/etris_det/mask-rcnn_etris-rn50_fpn_1x_coco.py``
  (random weights) on the device, which runs mmcv's RoIAlign and NMS there;
  fails naming the cause when mmcv's ops were built without CUDA.
- ``bench``: ``tools/analysis_tools/benchmark.py`` on ViT-B/16 at 416,
  inference and training step at batch 16, fp32 and fp16, side by side with
  the reference ETRIS when ``--reference`` gives a checkout of it (time
  ratio, peak GPU memory of both), else mmris alone.

``--short`` (with ``--device cpu``: under 3 minutes on 2 cores) trains 4
iterations on small generated sets and validates on 8 samples, and
benchmarks the referring demo model at batch 2 (with ``--reference``:
ViT-B/16 at 64). The generated sets go to ``--work-dir`` (default
``work_dirs/gpu_check``), under ``data`` (``data-short`` in the short mode),
made on the first run. One table is printed, and written as JSON (``--json``,
default ``WORK_DIR/gpu_check.json``) with every loss. The exit status is 1
when a row is not ``ok`` (the last line lists those rows), 0 otherwise.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import mean
from typing import Dict, List

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the cls project's custom_imports

from mmris.utils import UsageError, load_config, require_at_least, run_cli  # noqa: E402

DEMO_CONFIGS = dict(
    referring='configs/demo/etris_tiny_synthetic_refcoco.py',
    seg='configs/demo/etris-seg_tiny_synthetic-shapes.py',
    det='configs/demo/fcos_etris-tiny_simplefpn_synthetic-coco.py',
    cls='projects/etris_cls/configs/etris-cls_tiny_synthetic-shapes.py')
MASK_RCNN_CONFIG = 'configs/etris_det/mask-rcnn_etris-rn50_fpn_1x_coco.py'
BENCH_CONFIG = 'configs/etris/vitb_refcoco.py'
CHECKS = ('train', 'ddp', 'mmcv', 'bench')
#: Short mode: iterations, validation samples, generated-set sizes.
SHORT = dict(iters=4, val_samples=8, images=40, per_class=2)


def parse_args():
    parser = argparse.ArgumentParser(description='Check the GPU paths in one command.')
    parser.add_argument('--device', choices=['cuda', 'cpu'],
                        default='cuda' if torch.cuda.is_available() else 'cpu',
                        help='cuda (default where available) or cpu')
    parser.add_argument('--short', action='store_true',
                        help='few iterations, small sets (the CPU test mode)')
    parser.add_argument('--iters', type=int, help='training iterations (300; short: 4)')
    parser.add_argument('--checks', nargs='+', choices=CHECKS, default=list(CHECKS),
                        help='which checks to run (all)')
    parser.add_argument('--tasks', nargs='+', choices=list(DEMO_CONFIGS),
                        default=list(DEMO_CONFIGS), help='which demo configs (all)')
    parser.add_argument('--precisions', nargs='+', choices=['fp32', 'fp16', 'bf16'],
                        help='training precisions (cuda: fp16 bf16; cpu: fp32 bf16)')
    parser.add_argument('--reference', metavar='ETRIS_CHECKOUT',
                        help='benchmark against the reference ETRIS of this checkout')
    parser.add_argument('--work-dir', default='work_dirs/gpu_check',
                        help='logs and generated sets (work_dirs/gpu_check)')
    parser.add_argument('--json', help='write the table here (WORK_DIR/gpu_check.json)')
    args = parser.parse_args()
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise UsageError(f'--device cuda: CUDA is not available here (torch {torch.__version__}); '
                         f'use --device cpu --short for the CPU mode')
    if args.device == 'cpu' and 'fp16' in (args.precisions or []):
        raise UsageError('--precisions fp16 needs --device cuda')
    if args.iters is not None:
        require_at_least('--iters', args.iters, 1)
    if args.reference:
        from mmris.benchmark.reference import is_reference_checkout
        if not is_reference_checkout(args.reference):
            raise UsageError(f'--reference {args.reference!r} is not a checkout of the reference '
                             f'ETRIS (no model/segmenter.py in it); pass a clone of kkakkkka/ETRIS')
    return args


def make_sets(data_dir: Path, tasks: List[str], short: bool) -> None:
    """Generate each task's synthetic set under ``data_dir`` unless there."""
    from mmris.synthetic import (
        generate_synthetic_coco,
        generate_synthetic_refcoco,
        generate_synthetic_shapes,
    )
    from projects.etris_cls.etris_cls import generate_shapes_folder
    small = SHORT['images'] if short else None
    makers = dict(
        referring=('synthetic_refcoco', lambda out: generate_synthetic_refcoco(
            out, **dict(num_images=small) if short else {})),
        seg=('synthetic_shapes', lambda out: generate_synthetic_shapes(
            out, **dict(num_train=small // 2, num_val=SHORT['val_samples']) if short else {})),
        det=('synthetic_coco', lambda out: generate_synthetic_coco(
            out, **dict(num_train=small // 2, num_val=SHORT['val_samples']) if short else {})),
        cls=('shapes_cls', lambda out: generate_shapes_folder(
            out, **dict(train_per_class=SHORT['per_class'], val_per_class=SHORT['per_class'])
            if short else {})))
    for task in tasks:
        folder, make = makers[task]
        if not (data_dir / folder).is_dir():
            make(str(data_dir / folder))


def relocated(value, data_dir: Path):
    """``value`` (a config's dicts and lists) with paths under ``data/``
    moved under ``data_dir``."""
    if isinstance(value, dict):
        return type(value)({key: relocated(item, data_dir) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return type(value)(relocated(item, data_dir) for item in value)
    if isinstance(value, str) and value.startswith('data/'):
        return str(data_dir / value[len('data/'):])
    return value


def task_config(task: str, data_dir: Path):
    cfg = load_config(str(ROOT / DEMO_CONFIGS[task]))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator'):
        if key in cfg:
            cfg[key] = relocated(cfg[key], data_dir)
    return cfg


def loss_figures(result: Dict) -> str:
    losses = result['losses']
    quarter = max(1, len(losses) // 4)
    return (f'loss {mean(losses[:quarter]):.4f} -> {mean(losses[-quarter:]):.4f}, '
            f'non-finite {result["nonfinite"]}/{len(losses)}')


def first_metric(metrics: Dict) -> str:
    if not metrics:
        return 'no val figures'
    key, value = next(iter(metrics.items()))
    return f'{key} {value:.4g}'


def cpu_baseline(args, tasks: List[str], iters: int) -> subprocess.Popen:
    """This tool in a second process with CUDA hidden: the fp32 CPU runs."""
    out = Path(args.work_dir) / 'cpu_fp32.json'
    command = [sys.executable, __file__, '--device', 'cpu', '--checks', 'train', '--tasks',
               *tasks, '--precisions', 'fp32', '--iters', str(iters), '--work-dir',
               str(Path(args.work_dir) / 'cpu'), '--json', str(out)]
    if args.short:
        command.append('--short')
    environment = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    log = open(Path(args.work_dir) / 'cpu_fp32.log', 'w')
    process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    process.out_file = out
    return process


def train_rows(args, data_dir: Path, iters: int) -> List[Dict]:
    from mmris.engine.device_check import short_training
    precisions = args.precisions or (['fp16', 'bf16'] if args.device == 'cuda'
                                     else ['fp32', 'bf16'])
    baseline = (cpu_baseline(args, args.tasks, iters)
                if args.device == 'cuda' and not args.precisions else None)
    rows, runs = [], {}
    for task in args.tasks:
        cfg = task_config(task, data_dir)
        for precision in precisions:
            result = short_training(cfg, precision, args.device, iters,
                                    str(Path(args.work_dir) / f'{task}_{precision}'),
                                    SHORT['val_samples'] if args.short else None)
            runs[task, precision] = result
            rows.append(dict(check=f'train {iters} it ({args.device})', config=task,
                             precision=precision, result=result,
                             status='ok' if result['nonfinite'] == 0 else 'NON-FINITE'))
    if baseline is not None:
        if baseline.wait() != 0:
            raise RuntimeError(f'the fp32 CPU runs failed; see {baseline.out_file.parent}/'
                               f'cpu_fp32.log')
        for row in json.loads(baseline.out_file.read_text())['rows']:
            rows.append(row)
            runs[row['config'], 'fp32'] = row['result']
    for row in rows:
        result = row['result']
        reference = runs.get((row['config'], 'fp32'))
        against = ('' if reference is None or reference is result
                   else f' (fp32 CPU: {first_metric(reference["metrics"])})')
        row['figures'] = (f'{loss_figures(result)}; {first_metric(result["metrics"])}{against}; '
                          f'{result["seconds"]:.0f} s')
    return rows


def ddp_rows(args, data_dir: Path) -> List[Dict]:
    from mmris.engine.device_check import ddp_training_steps
    world_size = min(2, torch.cuda.device_count()) if args.device == 'cuda' else 2
    tasks = [task for task in args.tasks if task != 'cls']
    steps = ddp_training_steps([task_config(task, data_dir) for task in tasks], 'fp32',
                               args.device, world_size)
    rows = []
    for task, ranks in zip(tasks, steps):
        errors = [rank['error'] for rank in ranks if 'error' in rank]
        if errors:
            rows.append(dict(check=f'DDP step x{world_size}', config=task, precision='fp32',
                             status='FAIL', figures='; '.join(errors)))
            continue
        warnings = sum(len(rank['stride_warnings']) for rank in ranks)
        backend = 'nccl' if args.device == 'cuda' else 'gloo'
        losses = ', '.join(f'{rank["loss"]:.4f}' for rank in ranks)
        rows.append(dict(
            check=f'DDP step x{world_size} ({backend})', config=task, precision='fp32',
            status='ok' if not warnings else 'STRIDE WARNING',
            figures=f'losses {losses}; {ranks[0]["norm"]}; stride warnings {warnings}',
            ranks=ranks))
    return rows


def mmcv_rows(args) -> List[Dict]:
    from mmris.engine.device_check import mask_rcnn_test
    cfg = load_config(str(ROOT / MASK_RCNN_CONFIG), dict(model=dict(backbone=dict(
        clip_weights=None))))
    result = mask_rcnn_test(cfg, args.device, size=128 if args.short else 320)
    figures = (result.get('cause') or f'{result["detections"]} detections, masks '
               f'{result["masks"]}')
    return [dict(check=f'Mask R-CNN test ({args.device})', config=osp.basename(MASK_RCNN_CONFIG),
                 precision='fp32', status=result['status'].upper() if result['status'] != 'ok'
                 else 'ok', figures=f'mmcv ops CUDA {result["mmcv_cuda"]}; {figures}',
                 result=result)]


def bench_rows(args) -> List[Dict]:
    if args.short and not args.reference:
        config, batch, shape, repeat = DEMO_CONFIGS['referring'], 2, 128, 2
    else:
        config, batch, shape, repeat = BENCH_CONFIG, 1 if args.short else 16, \
            64 if args.short else 416, 1 if args.short else 10
    precisions = ['fp32'] if args.device == 'cpu' else ['fp32', 'fp16']
    rows = []
    for mode in ('infer', 'train'):
        for precision in precisions:
            with tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / 'bench.json'
                command = [sys.executable, str(ROOT / 'tools/analysis_tools/benchmark.py'),
                           str(ROOT / config), '--mode', mode, '--batch-size', str(batch),
                           '--shape', str(shape), '--warmup', '1', '--repeat', str(repeat),
                           '--device', args.device, '--precision', precision, '--json', str(out),
                           '--cfg-options', 'model.backbone.clip_weights=None']
                if args.reference:
                    command += ['--reference', args.reference, '--reference-precision',
                                precision]
                done = subprocess.run(command, capture_output=True, text=True)
                row = dict(check=f'benchmark {mode} b{batch} {shape}px ({args.device})',
                           config=osp.basename(config), precision=precision)
                if done.returncode != 0:
                    rows.append(dict(row, status='FAIL',
                                     figures=(done.stderr or done.stdout).strip()[-300:]))
                    continue
                results = json.loads(out.read_text())
            if args.reference:
                figures = (f'mmris {results["mmris"]["median_ms"]:.1f} ms, reference '
                           f'{results["reference"]["median_ms"]:.1f} ms, time ratio '
                           f'{results["ratio"]["median_ms"]:.2f}; peak memory mmris '
                           f'{results["mmris"]["peak_memory_mb"]:.0f} MiB, reference '
                           f'{results["reference"]["peak_memory_mb"]:.0f} MiB')
            else:
                figures = (f'{results["median_ms"]:.1f} ms, peak memory '
                           f'{results["peak_memory_mb"]:.0f} MiB (no --reference)')
            rows.append(dict(row, status='ok', figures=figures, result=results))
    return rows


def main():
    args = parse_args()
    if args.device == 'cpu' and torch.cuda.is_available():
        # mmengine picks its device when it is imported (CUDA wherever there
        # is one) and the Runner trains there: the CPU mode runs again with
        # CUDA hidden, so that it runs on the CPU.
        os.execve(sys.executable, [sys.executable, __file__, *sys.argv[1:]],
                  dict(os.environ, CUDA_VISIBLE_DEVICES=''))
    from mmris.engine.device_check import format_table
    from mmris.utils import register_all_modules
    register_all_modules()
    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.work_dir).resolve() / ('data-short' if args.short else 'data')
    iters = args.iters or (SHORT['iters'] if args.short else 300)
    rows = []
    if 'train' in args.checks or 'ddp' in args.checks:
        make_sets(data_dir, args.tasks, args.short)
    if 'train' in args.checks:
        rows += train_rows(args, data_dir, iters)
    if 'ddp' in args.checks:
        rows += ddp_rows(args, data_dir)
    if 'mmcv' in args.checks:
        rows += mmcv_rows(args)
    if 'bench' in args.checks:
        rows += bench_rows(args)
    print(format_table(rows))
    out = Path(args.json or Path(args.work_dir) / 'gpu_check.json')
    device = torch.cuda.get_device_name() if args.device == 'cuda' else 'cpu'
    out.write_text(json.dumps(dict(device=device, torch=torch.__version__, short=args.short,
                                   iters=iters, rows=rows), indent=1))
    print(f'written to {out}')
    failed = [f'{row["check"]} {row["config"]} {row["precision"]}: {row["status"]}'
              for row in rows if row['status'] != 'ok']
    if failed:
        print(f'{len(failed)} of {len(rows)} checks did not pass: ' + '; '.join(failed))
        sys.exit(1)


if __name__ == '__main__':
    run_cli(main)

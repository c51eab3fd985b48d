"""What the Bridger adds: zero-shot baseline against k-shot training, one table.

    python projects/etris_cls/tools/few_shot_table.py CONFIG --shots 1 4 16 \\
        [--also-frozen] [--work-dir DIR] [--cfg-options KEY=VALUE ...]

Every row is evaluated on the config's test set with its test evaluator:

- zero-shot: the config's model without its Bridger (the same frozen towers,
  built from the same seed or weights file), untrained, scored CLIP-style;
- k-shot, Bridger: the config trained on k images per class
  (``train_dataloader.dataset.shots=k``) for its full schedule;
- k-shot, no Bridger (``--also-frozen``): the same training with only the
  positional embeddings and the logit scale trainable.

Prints a markdown table (accuracy, wall and CPU seconds, load average) and
writes it with the raw figures to WORK_DIR/few_shot_table.{md,json}.
"""
import argparse
import copy
import json
import os
import os.path as osp
import resource
import time

import torch

from mmris.registry import RUNNERS
from mmris.utils import UsageError, add_cfg_options_argument, load_config, run_cli


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a classification config of this project')
    parser.add_argument('--shots', type=int, nargs='+', default=[1, 4, 16],
                        help='k of the k-shot rows (images per class)')
    parser.add_argument('--also-frozen', action='store_true',
                        help='also train each k without the Bridger')
    parser.add_argument('--work-dir', default='work_dirs/few_shot_table',
                        help='folder for the runs and the table')
    add_cfg_options_argument(parser, 'train_cfg.max_iters=100')
    return parser.parse_args()


def cpu_seconds() -> float:
    """User + system time of this process and its finished children (the
    data loader workers)."""
    return sum(getattr(resource.getrusage(who), field)
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ('ru_utime', 'ru_stime'))


def frozen_towers(model) -> dict:
    """The frozen parameters of the backbone's two encoders, by name."""
    backbone = model.backbone
    return {name: param.detach().clone() for encoder in ('vision_encoder', 'text_encoder')
            for name, param in getattr(backbone, encoder).named_parameters(prefix=encoder)
            if not param.requires_grad}


def run_row(cfg, work_dir: str, train: bool):
    """Train (if ``train``) then test ``cfg``; returns the test metrics with
    wall and CPU seconds and the 1-minute load average at the end, and its
    frozen tower parameters (training leaves them as they were loaded)."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir, cfg.launcher = work_dir, 'none'
    cfg.setdefault('runner_type', 'mmris.Runner')
    # The test at the end evaluates once; no validation while training.
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    if not train:
        cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = None
        cfg.param_scheduler = None
    wall, cpu = time.time(), cpu_seconds()
    runner = RUNNERS.build(cfg)
    if train:
        runner.train()
    else:
        runner.model.init_weights()  # loads the towers' weights, as training does
    metrics = runner.test()
    return dict(metrics, wall_s=time.time() - wall, cpu_s=cpu_seconds() - cpu,
                load_1min=os.getloadavg()[0]), frozen_towers(runner.model)


def markdown(rows: list) -> str:
    keys = [key for key in rows[0] if key.startswith('accuracy/')]
    lines = ['| model | k | ' + ' | '.join(keys) + ' | wall s | CPU s | load (1 min) |',
             '|' + ' --- |' * (len(keys) + 5)]
    for row in rows:
        lines.append(f'| {row["model"]} | {row["shots"]} | '
                     + ' | '.join(f'{row[key]:.1f}' for key in keys)
                     + f' | {row["wall_s"]:.0f} | {row["cpu_s"]:.0f} | {row["load_1min"]:.1f} |')
    return '\n'.join(lines)


def main():
    args = parse_args()
    if any(k < 1 for k in args.shots):
        raise UsageError(f'--shots {args.shots}: every k must be at least 1')
    cfg = load_config(args.config, args.cfg_options)
    if cfg.model.backbone.get('bridger') is None:
        raise UsageError(f'{args.config} has no model.backbone.bridger to compare against')
    frozen = copy.deepcopy(cfg)
    frozen.model.backbone.bridger = None
    plan = [('zero-shot, no Bridger', 0, frozen, False)]
    for k in args.shots:
        plan.append(('Bridger', k, cfg, True))
        if args.also_frozen:
            plan.append(('no Bridger (pos. emb. + logit scale train)', k, frozen, True))
    rows, towers = [], None
    for model, k, row_cfg, train in plan:
        if train:
            row_cfg = copy.deepcopy(row_cfg)
            row_cfg.train_dataloader.dataset.shots = k
        name = f'{"bridger" if row_cfg.model.backbone.bridger else "frozen"}_{k}shot'
        print(f'\n== {model}, k={k} ==', flush=True)
        metrics, used = run_row(row_cfg, osp.join(args.work_dir, name), train)
        towers = towers or used
        if used.keys() != towers.keys() or any(
                not torch.equal(used[key], towers[key]) for key in towers):
            raise RuntimeError(f'the {model} run (k={k}) did not use the zero-shot run\'s '
                               f'frozen towers: set randomness.seed or clip_weights')
        rows.append(dict(model=model, shots=k, **metrics))
    table = markdown(rows)
    print('\n' + table)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'few_shot_table.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(args.work_dir, 'few_shot_table.json'), 'w') as f:
        json.dump(dict(config=args.config, cfg_options=args.cfg_options, rows=rows), f, indent=1)


if __name__ == '__main__':
    run_cli(main)

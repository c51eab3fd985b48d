"""Train a model from a config file.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
                          [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

Multi-process: tools/dist_train.sh CONFIG N (torchrun), tools/slurm_train.sh.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.logging import print_log

from mmris.registry import RUNNERS
from mmris.utils import UsageError, load_config, require_checkpoint, run_cli


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model from a config file.')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints '
                        '(default: work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', const='auto', metavar='CHECKPOINT',
        help='resume training (iteration, optimizer, schedulers) from CHECKPOINT, or, '
        'with no value, from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision training')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
        help='override config entries, e.g. train_cfg.max_iters=100 '
        'train_dataloader.batch_size=4; lists as a=[1,2]')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_amp(cfg) -> None:
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper == 'AmpOptimWrapper':
        print_log('AMP training is already enabled in the config.', logger='current')
        return
    if wrapper != 'OptimWrapper':
        raise UsageError(f'--amp needs optim_wrapper.type OptimWrapper, but the config '
                         f'uses {wrapper}; enable AMP in the config instead')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        require_checkpoint(args.resume, '--resume')
        cfg.resume, cfg.load_from = True, args.resume
    elif cfg.get('load_from'):
        require_checkpoint(cfg.load_from, 'load_from in the config')
    cfg.setdefault('runner_type', 'mmris.Runner')
    RUNNERS.build(cfg).train()


if __name__ == '__main__':
    run_cli(main)

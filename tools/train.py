"""Train a model from a config file.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
                          [--save-full-state] [--cfg-options KEY=VALUE ...]
                          [--launcher none|pytorch|slurm|mpi] [--preflight-only]

Before building anything it checks that the data, the weights, the
checkpoint and the work dir that the config names are in place
(mmris/utils/preflight.py): one ``error:`` line per missing piece, exit 2.
``--preflight-only`` stops after that check.

Checkpoints are parameter-efficient unless --save-full-state: they leave out
the frozen weights that the config restores from its weights files (see
mmris/checkpoint/parameter_efficient.py).

``--amp`` trains with automatic mixed precision: fp16 with a loss scaler on
GPUs, bf16 autocast on CPUs with native bf16 (AVX512-BF16/AMX), as
mmris.Runner runs a config's AmpOptimWrapper there.

Multi-process: tools/dist_train.sh CONFIG N (torchrun), tools/slurm_train.sh.
"""
import argparse

from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

from mmris.registry import RUNNERS
from mmris.utils import (
    UsageError,
    add_runner_arguments,
    config_arguments_checked,
    prepare_runner_config,
    require_checkpoint,
    run_cli,
)
from mmris.utils.precision import cpu_supports_bf16
from mmris.utils.preflight import preflight


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model from a config file.')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', const='auto', metavar='CHECKPOINT',
        help='resume training (iteration, optimizer, schedulers) from CHECKPOINT, or, '
        'with no value, from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision training (fp16 on GPUs, bf16 on CPUs '
                        'with native bf16)')
    parser.add_argument('--save-full-state', action='store_true',
                        help='save the whole state dict in checkpoints, frozen weights '
                        'included (default: leave out what the config restores)')
    add_runner_arguments(parser)
    return parser.parse_args()


def enable_amp(cfg) -> None:
    if get_device() == 'cpu' and not cpu_supports_bf16():
        raise UsageError('--amp needs a GPU (or NPU/MLU/MUSA) or a CPU with native bf16 '
                         '(AVX512-BF16/AMX), and this machine has neither; train without --amp')
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
    cfg = prepare_runner_config(args)
    if args.amp:
        enable_amp(cfg)
    if args.save_full_state:
        cfg.default_hooks.parameter_efficient_checkpoint = dict(
            type='mmris.ParameterEfficientCheckpointHook', save_full_state=True)
    if args.resume == 'auto':
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest:
            require_checkpoint(latest, f'--resume (the latest in {cfg.work_dir})')
            print_log(f'--resume: resuming from the latest checkpoint of {cfg.work_dir}, '
                      f'{latest}', logger='current')
            cfg.resume, cfg.load_from = True, latest
        else:  # as without --resume: a job script may pass it to every run
            print_log(f'--resume: no checkpoint in {cfg.work_dir} yet; training starts from '
                      f'{cfg.get("load_from") or "the config"}', logger='current')
            if cfg.get('load_from'):
                require_checkpoint(cfg.load_from, 'load_from in the config')
    elif args.resume:
        require_checkpoint(args.resume, '--resume')
        cfg.resume, cfg.load_from = True, args.resume
    elif cfg.get('load_from'):
        require_checkpoint(cfg.load_from, 'load_from in the config')
    preflight(cfg, 'train')
    if args.preflight_only:
        return
    with config_arguments_checked(cfg):
        runner = RUNNERS.build(cfg)
        runner.train()


if __name__ == '__main__':
    run_cli(main)

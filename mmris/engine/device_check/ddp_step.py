"""One training step of each of several configs under
DistributedDataParallel, in one group of worker processes: each step's loss,
the stride warnings DDP gives, and how BatchNorm ran."""
import copy
import multiprocessing
import os
import queue
import socket
import time
import warnings
from typing import Dict, List, Sequence

import torch
from mmengine.config import Config

from ..runner import close_process_group

#: The start of the warning DDP gives when a gradient's layout differs from
#: its bucket's (it then copies that gradient on every step).
STRIDE_WARNING = 'Grad strides do not match bucket view strides'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _step(rank: int, cfg: Config, precision: str, device: str) -> Dict:
    """Build ``cfg``'s model, wrap it in DDP and run one ``train_step`` on
    this rank's share of the first training samples. Weights and data
    augmentation are drawn from the config's ``randomness.seed`` (0 where
    it has none), so that runs report the same losses."""
    from mmengine.dataset import pseudo_collate
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DATASETS, MODELS, init_default_scope
    from mmengine.runner import set_random_seed
    from mmengine.utils import import_modules_from_strings

    from mmris.utils import register_all_modules

    from .short_training import optim_wrapper_for
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmris'))
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    set_random_seed((cfg.get('randomness') or {}).get('seed') or 0)
    model = MODELS.build(cfg.model)
    if device == 'cuda':
        torch.cuda.set_device(rank)
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model.cuda())
        norm = 'SyncBN'
    else:
        norm = 'BN per process (SyncBN needs CUDA)'
    ddp = MMDistributedDataParallel(
        module=model, device_ids=[rank] if device == 'cuda' else None, broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    optim_wrapper = build_optim_wrapper(ddp, optim_wrapper_for(cfg.optim_wrapper, precision,
                                                               device))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch_size = cfg.train_dataloader.batch_size
    batch = pseudo_collate([dataset[index % len(dataset)]
                            for index in range(rank * batch_size, (rank + 1) * batch_size)])
    log_vars = ddp.train_step(batch, optim_wrapper)
    return dict(loss=float(log_vars['loss']), norm=norm)


def _worker(rank: int, world_size: int, port: int, cfgs: Sequence[Config], precision: str,
            device: str, threads: int, results) -> None:
    """Run the step of each config in turn; put ``(config index, rank,
    result)`` on ``results`` after each."""
    torch.set_num_threads(threads)
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.distributed.init_process_group('nccl' if device == 'cuda' else 'gloo', rank=rank,
                                         world_size=world_size)
    try:
        for index, cfg in enumerate(cfgs):
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    result = _step(rank, cfg, precision, device)
                result['stride_warnings'] = [str(w.message) for w in caught
                                             if STRIDE_WARNING in str(w.message)]
            except Exception as error:  # reported by the parent, with its rank
                result = dict(error=f'{type(error).__name__}: {error}')
            results.put((index, rank, result))
    finally:
        close_process_group()


def ddp_training_steps(cfgs: Sequence[Config], precision: str = 'fp32', device: str = 'cpu',
                       world_size: int = 2, threads_per_process: int = 2,
                       timeout: float = 600) -> List[List[Dict]]:
    """Run one DDP training step of each config of ``cfgs``, one after the
    other, in one group of ``world_size`` new processes (gloo on a CPU;
    nccl, one GPU each, with BatchNorm as SyncBN, on CUDA) at ``precision``
    (see :func:`optim_wrapper_for`). One group serves all configs, so the
    processes start (and import torch, mmseg and mmdet) once.

    On a CPU, each process should run at least two threads: with one, a
    convolution's weight gradient comes out contiguous whatever the layout
    of its input, and a layout copy could not show.

    Returns:
        list[list[dict]]: per config, per rank, ``loss``, ``norm`` (how
        BatchNorm ran) and ``stride_warnings`` (DDP's
        :data:`STRIDE_WARNING` messages), or ``error`` where the step failed.
    """
    context = multiprocessing.get_context('spawn')
    results = context.Queue()
    port = _free_port()
    processes = [context.Process(target=_worker, args=(rank, world_size, port,
                                                       copy.deepcopy(list(cfgs)), precision,
                                                       device, threads_per_process, results))
                 for rank in range(world_size)]
    for process in processes:
        process.start()
    found = {}
    deadline = time.monotonic() + timeout
    try:
        while len(found) < world_size * len(cfgs) and time.monotonic() < deadline:
            try:
                index, rank, result = results.get(timeout=5)
                found[index, rank] = result
            except queue.Empty:
                if not any(process.is_alive() for process in processes):
                    break
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    return [[found.get((index, rank), dict(error=f'rank {rank} ended without a result (exit '
                                                f'code {processes[rank].exitcode})'))
             for rank in range(world_size)]
            for index in range(len(cfgs))]

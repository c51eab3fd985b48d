"""mmengine's Runner, made to run distributed on CPU-only machines as well.

mmengine's ``init_dist`` always calls ``torch.cuda.set_device`` and the
configs ask for the ``nccl`` backend; its ``wrap_model`` gives DDP
``device_ids=[LOCAL_RANK]``. All three fail without a GPU. This Runner keeps
mmengine's behaviour wherever CUDA is available and otherwise initialises
``gloo``, wraps the model in DDP without device ids and runs SyncBN layers as
plain BN, so ``tools/dist_train.sh CONFIG 2`` works on either kind of machine
with no config edit. For the same reason a config that trains with
``AmpOptimWrapper`` (fp16 AMP, as the ETRIS configs do) trains with bf16
autocast and no loss scaler (:class:`AutocastOptimWrapper`) where no
accelerator is available, as AMP runs on CPUs; a CPU without native bf16
trains in fp32 instead, with a one-line notice. ``compile=True`` (or a
dict of ``torch.compile`` options) compiles the model's ``loss`` rather
than mmengine's whole ``train_step``, whose data preprocessor deep-copies
data samples in ways torch.compile cannot trace; preprocessing and the
optimizer step stay eager. It is registered as
``mmris.Runner``; the mmris tools build it for every config.

When a run (train, val or test) ends, the worker processes of its data
loaders are stopped (:mod:`mmris.engine.loader_workers`), rather than when
the garbage collector frees them, which cost a later runner of the process
5 s per worker.

It also loads every checkpoint weights-only (it is built, trains, validates
and tests within :func:`~mmris.checkpoint.loader.safe_checkpoint_loading`),
refuses one whose tensors do not fit the model unless the config sets
``load_from_partial=True`` (:mod:`mmris.checkpoint.model_fit`), and adds
three default hooks unless the config's ``default_hooks`` names them
(``None`` leaves one out): ``parameter_efficient_checkpoint``
(:class:`ParameterEfficientCheckpointHook`: checkpoints without the frozen
weights the config restores), ``random_state`` (:class:`RandomStateHook`:
a resumed run equals an uninterrupted one) and ``weights_only_checkpoint``
(:class:`WeightsOnlyCheckpointHook`: checkpoints that
``torch.load(weights_only=True)`` opens, as mmseg's and mmdet's loaders do).

Each model it builds is checked part against part
(:func:`~mmris.utils.part_fit.check_model_parts_fit`): mmseg's and mmdet's
segmentors and detectors build a neck and heads without comparing their
widths, so a mismatch ends in one line naming both parts before any data is
read, under any tool that builds this runner (mmris' runtime bases name it
in ``runner_type``, so mmseg's and mmdet's own ``tools/train.py`` build it
for mmris' configs too).
"""
import atexit
import datetime
import gc
import os
import socket
import subprocess

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.dist import all_gather_object, is_distributed
from mmengine.dist import init_dist as mmengine_init_dist
from mmengine.model import is_model_wrapper, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS, VISUALIZERS
from mmengine.runner import Runner as MMEngineRunner
from mmengine.runner.checkpoint import CheckpointLoader
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from mmris.checkpoint import safe_checkpoint_loading
from mmris.checkpoint.model_fit import PARTIAL_KEY, check_checkpoint_fits
from mmris.registry import RUNNERS
from mmris.utils.formatted_config import FormattedOnceConfig
from mmris.utils.mmengine_private import load_checkpoint_to_model
from mmris.utils.part_fit import check_model_parts_fit
from mmris.utils.precision import cpu_supports_bf16
from mmris.utils.upstream_noise import quiet_logger

from .loader_workers import close_loader_workers

#: Default hooks mmris.Runner adds to mmengine's, named with their scope so
#: that configs of another default scope (mmdet's) find them too.
MMRIS_DEFAULT_HOOKS = dict(
    parameter_efficient_checkpoint=dict(type='mmris.ParameterEfficientCheckpointHook'),
    random_state=dict(type='mmris.RandomStateHook'),
    weights_only_checkpoint=dict(type='mmris.WeightsOnlyCheckpointHook'))


def _export_slurm_env(port=None) -> None:
    """Translate slurm's task variables into torch's ``env://`` variables."""
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {nodes} | head -n1')


def close_process_group() -> None:
    """Free what holds the process groups, then destroy them.

    A runner and its DDP wrapper sit in reference cycles, so they outlive
    the tool's ``main`` until the cycle collector runs, and the wrapper's
    reducer keeps gloo's process group and its threads alive after
    ``destroy_process_group``. Freed during interpreter shutdown, they
    aborted about one 2-process run in seven ("terminate called without an
    active exception"); collected here, at exit, while the interpreter is
    whole, they go with their threads.
    """
    gc.collect()
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def init_dist(launcher: str, backend: str = 'nccl', **kwargs) -> None:
    """Initialise ``torch.distributed`` for ``launcher`` on any machine.

    With CUDA this is mmengine's ``init_dist(launcher, backend, **kwargs)``.
    Without, the ``pytorch`` and ``slurm`` launchers start a ``gloo`` group
    from the launcher's environment variables and select no device.

    Args:
        launcher: 'pytorch' (torchrun), 'slurm' or 'mpi' (CUDA only).
        backend: backend used when CUDA is available (the config's
            ``env_cfg.dist_cfg.backend``).
        **kwargs: passed to ``init_process_group``; ``timeout`` in seconds.
    """
    if torch.cuda.is_available():
        mmengine_init_dist(launcher, backend, **kwargs)
        return
    if launcher == 'slurm':
        _export_slurm_env(kwargs.pop('port', None))
    elif launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} needs CUDA; on a CPU-only machine '
                         f"use launcher='pytorch' (tools/dist_train.sh) or 'slurm'")
    if kwargs.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    kwargs.pop('init_backend', None)
    torch_dist.init_process_group(backend='gloo', **kwargs)


@RUNNERS.register_module()
class Runner(MMEngineRunner):
    """:class:`mmengine.runner.Runner` that also runs distributed on CPU.

    Takes exactly mmengine's arguments; see the module docstring for what
    changes on a machine without CUDA. In distributed runs it logs the world
    size and each rank's host, gathered from every rank. A ``cfg=`` Config
    becomes a :class:`FormattedOnceConfig`: the config text it logs, dumps
    and saves in checkpoints is mmengine's, formatted once rather than at
    each of those.
    """

    def __init__(self, *args, **kwargs):
        if isinstance(kwargs.get('cfg'), Config):
            kwargs['cfg'] = FormattedOnceConfig.of(kwargs['cfg'])
        with safe_checkpoint_loading():
            super().__init__(*args, **kwargs)
        if self.distributed:
            members = all_gather_object(f'rank {self.rank}@{socket.gethostname()}')
            self.logger.info(f'distributed run: world size {self.world_size}, backend '
                             f'{torch_dist.get_backend()}, members: {", ".join(members)}')

    def build_model(self, model):
        """mmengine's, then :func:`check_model_parts_fit` on the model."""
        model = super().build_model(model)
        check_model_parts_fit(model)
        return model

    def build_visualizer(self, visualizer=None):
        """mmengine's visualizer, of its own for each Runner of a process.

        mmengine keeps one visualizer per name, and the configs name theirs
        ``'visualizer'``: a second Runner in the same process
        (``gres_demo.py`` trains two models, notebooks, tests) got the first
        one back, with the first run's ``save_dir``, and mmengine's
        "instance ... has been created" warning. A name already taken gets
        a suffix (``visualizer_2``, ...) instead.
        """
        if isinstance(visualizer, dict):
            cls = VISUALIZERS.get(visualizer.get('type', 'Visualizer'))
            name = visualizer.get('name', self._experiment_name)
            unique, count = name, 1
            while cls is not None and cls.check_instance_created(unique):
                count += 1
                unique = f'{name}_{count}'
            visualizer = dict(visualizer, name=unique)
        return super().build_visualizer(visualizer)

    def build_logger(self, *args, **kwargs):
        """mmengine's logger, without the upstream notices of
        :mod:`mmris.utils.upstream_noise`."""
        logger = super().build_logger(*args, **kwargs)
        quiet_logger(logger)
        return logger

    def _run(self, run, *loops: str):
        """``run()`` loading checkpoints weights-only; then stop the workers
        of the data loaders of ``loops`` (attribute names: the loops are
        built during the run)."""
        with safe_checkpoint_loading():
            try:
                return run()
            finally:
                close_loader_workers(getattr(self, loop) for loop in loops)

    def train(self):
        return self._run(super().train, '_train_loop', '_val_loop')

    def val(self):
        return self._run(super().val, '_val_loop')

    def test(self):
        return self._run(super().test, '_test_loop')

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):  # noqa: B006 (mmengine's)
        """mmengine's, refusing a checkpoint whose tensors do not fit the
        model (after the ``after_load_checkpoint`` hooks, which complete a
        parameter-efficient one) with one line, unless ``load_from_partial``;
        this serves ``load_from``, ``--resume`` and ``tools/test.py``."""
        checkpoint = CheckpointLoader.load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        check_checkpoint_fits(checkpoint, model, repr(filename), self.cfg.get(PARTIAL_KEY, False))
        checkpoint = load_checkpoint_to_model(model, checkpoint, strict, revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _maybe_compile(self, target: str) -> None:
        """For ``target='train_step'`` (the only one mmengine compiles),
        compile the (unwrapped) model's ``loss`` with the config's
        ``compile`` options; nothing when ``compile`` is unset or False."""
        options = self.cfg.get('compile')
        if not options or target != 'train_step':
            return super()._maybe_compile(target)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        model.loss = torch.compile(model.loss, **({} if options is True else options))
        self.logger.info('compile: the model\'s loss is compiled (torch.compile); the first '
                         'iterations are slow while it compiles')

    def register_default_hooks(self, hooks=None) -> None:
        hooks = dict(hooks or {})
        for name, hook in MMRIS_DEFAULT_HOOKS.items():
            hooks.setdefault(name, hook)
        super().register_default_hooks({name: hook for name, hook in hooks.items()
                                        if not (hook is None and name in MMRIS_DEFAULT_HOOKS)})

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not is_distributed():
            init_dist(self.launcher, **env_cfg.get('dist_cfg', {}))
            # Without it, a process that exits while its gloo threads still run
            # can abort ("terminate called without an active exception").
            atexit.register(close_process_group)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        if not self.distributed or torch.cuda.is_available() or is_model_wrapper(model):
            return super().wrap_model(model_wrapper_cfg, model)
        self.logger.info('distributed on CPU: DDP over gloo without device ids; '
                         'SyncBN layers run as per-process BN')
        model = revert_sync_batchnorm(model)
        wrapper_cfg = dict(model_wrapper_cfg or dict(
            broadcast_buffers=False,
            find_unused_parameters=self.cfg.get('find_unused_parameters', False)))
        wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
        default_args = dict(module=model)
        if issubclass(MODEL_WRAPPERS.get(wrapper_cfg['type']), DistributedDataParallel):
            default_args['device_ids'] = None
        return MODEL_WRAPPERS.build(wrapper_cfg, default_args=default_args)

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """mmengine's data loader, with a generator of its own for the seeds
        of its workers, so that starting it draws nothing from torch's
        global random state (which a resumed run restores)."""
        loader = MMEngineRunner.build_dataloader(dataloader, seed, diff_rank_seed)
        if isinstance(loader, DataLoader) and loader.generator is None:
            loader.generator = torch.Generator()
            loader.generator.manual_seed(0 if seed is None else seed)
        return loader

    def build_optim_wrapper(self, optim_wrapper):
        if (isinstance(optim_wrapper, dict) and optim_wrapper.get('type') == 'AmpOptimWrapper'
                and get_device() == 'cpu'):
            optim_wrapper = {key: value for key, value in optim_wrapper.items()
                             if key not in ('loss_scale', 'dtype', 'use_fsdp')}
            if cpu_supports_bf16():
                self.logger.info('the config trains with AmpOptimWrapper; on this CPU AMP runs '
                                 'as bf16 autocast without a loss scaler (AutocastOptimWrapper)')
                optim_wrapper.update(type='mmris.AutocastOptimWrapper', dtype='bfloat16',
                                     device_type='cpu')
            else:
                self.logger.warning('the config trains with AmpOptimWrapper, but this CPU has no '
                                    'native bf16 (AVX512-BF16/AMX) and no GPU is available: '
                                    'training runs in fp32 with OptimWrapper')
                optim_wrapper['type'] = 'OptimWrapper'
        return super().build_optim_wrapper(optim_wrapper)

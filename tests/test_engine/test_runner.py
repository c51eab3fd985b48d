"""mmris.engine: init_dist on a CPU-only machine (gloo, no device
selection), and the Runner's AMP fallback and torch.compile."""

import ast
import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as torch_dist

from mmris.engine import init_dist

#: The init_dist tests check the CPU-only path; the Runner tests below run everywhere.
cpu_only_init_dist = pytest.mark.skipif(torch.cuda.is_available(),
                                        reason='checks the CPU-only path of init_dist')


@pytest.fixture
def single_process_env(monkeypatch):
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', '0')  # the store binds a free port itself
    yield monkeypatch
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


@cpu_only_init_dist
def test_pytorch_launcher_uses_gloo_on_cpu(single_process_env):
    for name, value in dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0').items():
        single_process_env.setenv(name, value)
    init_dist('pytorch', backend='nccl', timeout=60)
    assert torch_dist.get_backend() == 'gloo'
    assert torch_dist.get_world_size() == 1


@cpu_only_init_dist
def test_slurm_launcher_reads_slurm_variables_on_cpu(single_process_env):
    for name in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        single_process_env.delenv(name, raising=False)
    for name, value in dict(SLURM_PROCID='0', SLURM_NTASKS='1', SLURM_LOCALID='0',
                            SLURM_NODELIST='localhost').items():
        single_process_env.setenv(name, value)
    init_dist('slurm', backend='nccl')
    assert torch_dist.get_backend() == 'gloo'
    assert torch_dist.get_rank() == 0


@cpu_only_init_dist
def test_mpi_launcher_on_cpu_says_what_to_use():
    with pytest.raises(ValueError, match="launcher='pytorch'"):
        init_dist('mpi')


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks AMP on a CPU-only machine')
@pytest.mark.parametrize('native_bf16', [True, False])
def test_etris_schedule_trains_on_cpu_with_bf16_amp_and_bridger_group(tmp_path, tiny_config,
                                                                     monkeypatch, native_bf16):
    """The ETRIS configs ask for fp16 AMP (AmpOptimWrapper); without a GPU
    mmris.Runner trains with bf16 autocast and no loss scaler where the CPU
    has native bf16, else in fp32; the Bridger has its own group."""
    from mmris.engine import AutocastOptimWrapper
    monkeypatch.setattr('mmris.engine.runner.cpu_supports_bf16', lambda: native_bf16)

    cfg = tiny_config('vitb')
    cfg.optim_wrapper.paramwise_cfg.custom_keys.bridger.lr_mult = 10.
    runner = _two_step_runner(tmp_path, cfg, optim_wrapper=cfg.optim_wrapper,
                              default_hooks=dict(logger=dict(type='LoggerHook', interval=1)))
    runner.train()
    if native_bf16:
        assert isinstance(runner.optim_wrapper, AutocastOptimWrapper)
        assert runner.optim_wrapper.cast_dtype == torch.bfloat16
        assert not hasattr(runner.optim_wrapper, 'loss_scaler')
    else:
        assert type(runner.optim_wrapper).__name__ == 'OptimWrapper'
    groups = runner.optim_wrapper.optimizer.param_groups
    bridger = [g for g in groups if g['params'][0] is next(runner.model.backbone.bridger.parameters())]
    assert bridger and bridger[0]['lr'] == pytest.approx(1e-3)
    assert all(g['lr'] == pytest.approx(1e-4) for g in groups
               if any(p is runner.model.neck.sentence_proj.weight for p in g['params']))


def _two_step_runner(tmp_path, etris_cfg, workers=0, **runner_args):
    """A Runner training ``etris_cfg.model`` for 2 iterations of 2 samples
    (arrays through ``etris_cfg``'s training pipeline), loaded by
    ``workers`` persistent worker processes (0: in the main process)."""
    import numpy as np
    from mmengine.dataset import Compose

    from mmris.engine import Runner
    pipeline = Compose(etris_cfg.train_pipeline[1:])  # images given as arrays
    rng = np.random.default_rng(0)
    samples = [pipeline(dict(img=rng.integers(0, 255, (48, 80, 3), dtype=np.uint8),
                             mask=[[5, 10, 40, 10, 40, 40, 5, 40]], ori_shape=(48, 80), text=text))
               for text in ['the left one', 'the right one']]
    return Runner(
        model=etris_cfg.model, work_dir=str(tmp_path),
        train_dataloader=dict(dataset=samples, batch_size=2, num_workers=workers,
                              persistent_workers=workers > 0,
                              sampler=dict(type='DefaultSampler', shuffle=False)),
        train_cfg=dict(by_epoch=False, max_iters=2), default_scope='mmris', **runner_args)


def test_compile_compiles_the_model_loss_and_trains_the_same(tmp_path, tiny_config):
    """compile (here with torch.compile's eager backend, which traces the
    graph but runs it as PyTorch would) compiles the model's loss, not
    mmengine's train_step, and two training steps end at the parameters an
    uncompiled run reaches."""
    from mmengine.config import Config
    cfg = tiny_config('vitb')
    cfg.model.decode_head.decoder.dropout = 0.  # no random draws: the same steps
    adam = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
    plain = _two_step_runner(tmp_path / 'plain', cfg, optim_wrapper=adam, randomness=dict(seed=0))
    plain.train()  # before the next runner seeds: train() draws initial weights too
    compiled = _two_step_runner(tmp_path / 'compiled', cfg, optim_wrapper=adam,
                                randomness=dict(seed=0),
                                cfg=Config(dict(compile=dict(backend='eager'))))
    compiled.train()
    assert hasattr(compiled.model.loss, '_torchdynamo_orig_callable')
    assert not hasattr(plain.model.loss, '_torchdynamo_orig_callable')
    trained, reference = (dict(runner.model.named_parameters()) for runner in (compiled, plain))
    assert trained.keys() == reference.keys()
    for name, value in trained.items():
        torch.testing.assert_close(value, reference[name], rtol=1e-5, atol=1e-6, msg=name)


def test_each_runner_of_a_process_gets_its_own_visualizer(tmp_path, tiny_config):
    """Two Runners in one process (gres_demo.py can train several models) with the
    configs' visualizer named 'visualizer': the second gets a visualizer of
    its own, saving under its own work dir, and mmengine does not warn that
    the instance was created before."""
    import copy
    import warnings
    cfg = tiny_config('vitb')
    visualizer = dict(type='mmris.RISLocalVisualizer', name='visualizer',
                      vis_backends=[dict(type='LocalVisBackend')])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        optim = dict(optimizer=dict(type='SGD', lr=0.01))
        first = _two_step_runner(tmp_path / 'first', cfg, visualizer=copy.deepcopy(visualizer),
                                 optim_wrapper=optim)
        second = _two_step_runner(tmp_path / 'second', cfg, visualizer=copy.deepcopy(visualizer),
                                  optim_wrapper=optim)
    assert first.visualizer is not second.visualizer
    assert str(tmp_path / 'second') in second.visualizer._vis_backends[
        'LocalVisBackend']._save_dir
    assert not [str(w.message) for w in caught
                if 'Visualizer' in str(w.message) and 'has been created' in str(w.message)]


def test_a_finished_run_stops_its_loader_workers(tmp_path, tiny_config):
    """The persistent worker of the training loader is stopped when train()
    returns, not left for the garbage collector (which made a later runner
    of the process wait 5 s per worker)."""
    import multiprocessing
    runner = _two_step_runner(tmp_path, tiny_config('vitb'), workers=1,
                              optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)))
    before = set(multiprocessing.active_children())
    runner.train()
    assert runner.iter == 2
    assert set(multiprocessing.active_children()) == before
    assert runner.train_loop.dataloader._iterator is None


def test_logged_dumped_and_saved_config_text_is_mmengines(tmp_path, tiny_config):
    """The Runner's config (a FormattedOnceConfig) gives the text
    mmengine's Config gives: in the dumped config and in a checkpoint."""
    from mmengine.config import Config

    from mmris.checkpoint import safe_load
    from mmris.utils.formatted_config import FormattedOnceConfig
    etris_cfg = tiny_config('vitb')
    # The checkpoint hook of mmris builds the config's model.
    cfg = Config(dict(note='my run', sizes=list(range(40)), model=etris_cfg.model.to_dict()),
                 cfg_text='(its file)', filename='my_config.py')
    runner = _two_step_runner(tmp_path, etris_cfg, cfg=cfg,
                              optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)))
    assert isinstance(runner.cfg, FormattedOnceConfig)
    expected = Config(cfg.to_dict()).pretty_text
    assert (tmp_path / 'my_config.py').read_text() == expected
    runner.train()
    checkpoint, = tmp_path.glob('*.pth')
    assert safe_load(str(checkpoint), map_location='cpu')['meta']['cfg'] == expected


CLOSE_AT_EXIT = '''
import os
import torch
from torch.nn.parallel import DistributedDataParallel
from mmris.engine import init_dist
from mmris.engine.runner import close_process_group

def threads():
    names = []
    for task in os.listdir('/proc/self/task'):
        with open(f'/proc/self/task/{task}/comm') as comm:
            names.append(comm.read().strip())
    return names

before = threads()
init_dist('pytorch', backend='nccl')
holder = {}
holder['self'] = holder  # a reference cycle, as a runner and its hooks make
holder['model'] = DistributedDataParallel(torch.nn.Linear(2, 2))
started = threads()
del holder
close_process_group()
print((sorted(set(started) - set(before)), sorted(set(threads()) - set(before))))
'''


@cpu_only_init_dist
@pytest.mark.skipif(not os.path.isdir('/proc/self/task'), reason='reads thread names in /proc')
def test_closing_the_process_group_at_exit_stops_its_threads():
    """A DDP model left in a reference cycle (a runner's) holds gloo's
    threads after the group is destroyed, and they aborted processes at
    shutdown; the exit handler frees it first, so they stop."""
    env = dict(os.environ, MASTER_ADDR='127.0.0.1', MASTER_PORT='0', RANK='0', WORLD_SIZE='1',
               LOCAL_RANK='0')
    result = subprocess.run([sys.executable, '-c', CLOSE_AT_EXIT], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    started, left = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert started, 'the process group started no thread of its own to watch'
    assert left == []

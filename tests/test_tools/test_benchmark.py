"""tools/analysis_tools/benchmark.py on a tiny ETRIS (no timing assertions)."""
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# vitb_refcoco.py shrunk to 64-channel towers of 3 blocks (one per stage) and
# a 64x64 input, so building and running it takes well under a second.
TINY = [
    'model.backbone.vision_encoder.input_size=64',
    'model.backbone.vision_encoder.width=64',
    'model.backbone.vision_encoder.layers=3',
    'model.backbone.vision_encoder.heads=2',
    'model.backbone.vision_encoder.output_dim=64',
    'model.backbone.text_encoder.width=64',
    'model.backbone.text_encoder.layers=3',
    'model.backbone.text_encoder.heads=2',
    'model.backbone.text_encoder.embed_dim=64',
    'model.backbone.bridger.d_model=16',
    'model.neck.in_channels=[64,64,64]',
    'model.neck.text_channels=64',
    'model.neck.channels=64',
    'model.decode_head.in_channels=64',
    'model.decode_head.text_channels=64',
    'model.decode_head.decoder.ffn_channels=64',
    'model.decode_head.decoder.num_layers=1',
    'model.decode_head.channels=32',
]
CONFIG = 'configs/etris/vitb_refcoco.py'
FIELDS = ('median_ms', 'mean_ms', 'p90_ms', 'min_ms', 'max_ms', 'images_per_s',
          'peak_memory_mb', 'memory_increase_mb', 'memory_measure', 'times_ms', 'device',
          'threads', 'batch_size', 'shape', 'precision', 'warmup', 'repeat')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', REPO / 'tools' / 'analysis_tools' / 'benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_model_on_cpu(run_tool, tmp_path):
    out = tmp_path / 'bench.json'
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu', '--shape', 64,
                      '--batch-size', 2, '--repeat', 3, '--warmup', 1, '--json', out,
                      '--cfg-options', *TINY)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads(out.read_text())
    assert all(field in results for field in FIELDS), sorted(set(FIELDS) - set(results))
    assert (results['device'], results['batch_size'], results['shape']) == ('cpu', 2, [64, 64])
    assert (results['warmup'], results['repeat'], results['precision']) == (1, 3, 'fp32')
    assert len(results['times_ms']) == 3 and min(results['times_ms']) > 0
    assert results['min_ms'] <= results['median_ms'] <= results['max_ms']
    assert results['images_per_s'] == pytest.approx(2 / (results['median_ms'] / 1e3))
    assert results['peak_memory_mb'] > 0 and 'RSS' in results['memory_measure']
    # The table shows the same numbers.
    assert f'{results["median_ms"]:.2f} ms' in result.stdout
    assert f'{results["p90_ms"]:.2f} ms' in result.stdout
    assert f'{results["images_per_s"]:.2f} images/s' in result.stdout
    assert f'{results["peak_memory_mb"]:.1f} MiB' in result.stdout
    assert 'timed' in result.stdout and '3/3' in result.stdout  # the progress bar


def test_fp16_on_cpu_is_refused(run_tool):
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu', '--precision',
                      'fp16')
    assert result.returncode == 2
    assert result.last_line.startswith('error: --precision fp16')
    assert 'cuda' in result.last_line


def test_reference_must_be_a_checkout(run_tool, tmp_path):
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu', '--reference',
                      tmp_path)
    assert result.returncode == 2
    assert 'has no model/segmenter.py' in result.last_line


def test_bad_values_are_refused(run_tool):
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu', '--repeat', 0)
    assert result.returncode == 2
    assert result.last_line == 'error: --repeat must be at least 1, got 0'


def test_a_folder_as_the_json_file_is_refused_before_the_run(run_tool, tmp_path):
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu', '--json', tmp_path)
    assert result.returncode == 2
    assert result.last_line == f"error: --json '{tmp_path}' is a folder; pass a file name"


def test_compile_needs_a_warm_up(run_tool):
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu', '--compile',
                      '--warmup', 0)
    assert result.returncode == 2
    assert result.last_line.startswith('error: --compile needs --warmup of at least 1')


@pytest.mark.parametrize('mode, target', [('infer', '_forward'), ('train', 'loss')])
def test_compile_times_the_compiled_function(monkeypatch, tmp_path, mode, target):
    """--compile hands the timed method to torch.compile (compiling for real
    takes minutes on a CPU; here a stand-in records what it was given) and
    the timing then runs through what torch.compile returned."""
    import torch
    given, calls = [], []

    def fake_compile(function):
        given.append(function.__name__)

        def compiled(*args, **kwargs):
            calls.append(function.__name__)
            return function(*args, **kwargs)
        return compiled

    monkeypatch.setattr(torch, 'compile', fake_compile)
    out = tmp_path / 'bench.json'
    _tool().main([CONFIG, '--mode', mode, '--compile', '--device', 'cpu', '--shape', '64',
                  '--repeat', '2', '--warmup', '1', '--json', str(out), '--cfg-options', *TINY])
    assert given == [target]
    assert calls == [target] * 3  # one warm-up and two timed iterations
    assert json.loads(out.read_text())['compile'] is True


SEG_CONFIG = 'configs/etris_seg/etris-vitb16_4xb4-80k_ade20k-512x512.py'
# The same tiny towers for the semantic-segmentation config (150 ADE20K classes).
TINY_SEG = [option for option in TINY if not option.startswith('model.decode_head.decoder')] + [
    'model.data_preprocessor.size=[64,64]', 'model.decode_head.decoder.num_layers=1']


@pytest.mark.parametrize('config, options', [(CONFIG, TINY), (SEG_CONFIG, TINY_SEG)])
def test_training_step_mode(run_tool, tmp_path, config, options):
    out = tmp_path / 'train.json'
    result = run_tool('analysis_tools/benchmark.py', config, '--mode', 'train', '--device', 'cpu',
                      '--shape', 64, '--batch-size', 2, '--repeat', 2, '--warmup', 1,
                      '--json', out, '--cfg-options', *options)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads(out.read_text())
    assert results['mode'] == 'train' and len(results['times_ms']) == 2
    assert results['peak_memory_mb'] > 0
    assert f'Benchmark of {config}: train' in result.stdout


def test_bf16_training_step_on_cpu_against_the_matmul_rate(run_tool, tmp_path):
    """bf16 where the CPU has it natively, else fp32 with a notice; with
    --roofline, the step's FLOP rate against the matmul rate."""
    from mmris.utils.precision import cpu_supports_bf16
    out = tmp_path / 'bf16.json'
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--mode', 'train', '--device', 'cpu',
                      '--precision', 'bf16', '--shape', 64, '--repeat', 1, '--warmup', 1,
                      '--roofline', '--json', out, '--cfg-options', *TINY)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads(out.read_text())
    assert results['precision'] == ('bf16' if cpu_supports_bf16() else 'fp32')
    assert (', bf16, ' in result.stdout) == cpu_supports_bf16()
    roofline = results['roofline']
    assert roofline['flops'] > 0 and roofline['matmul_gflops'] > 0
    assert roofline['achieved_gflops'] == pytest.approx(
        roofline['flops'] / (results['median_ms'] / 1e3) / 1e9)
    assert roofline['fraction'] == pytest.approx(
        roofline['achieved_gflops'] / roofline['matmul_gflops'])
    assert f'({100 * roofline["fraction"]:.0f}%)' in result.stdout


def test_attention_paths_are_timed_side_by_side(run_tool, tmp_path):
    """--compare-attention: bf16 inference on the flash kernel and fused by
    oneDNN Graph, interleaved; on a CPU without native bf16 (where bf16 runs
    as fp32) it is refused in one line."""
    from mmris.utils.precision import cpu_supports_bf16
    out = tmp_path / 'attention.json'
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu', '--precision',
                      'bf16', '--shape', 64, '--repeat', 3, '--warmup', 2, '--compare-attention',
                      '--json', out, '--cfg-options', *TINY)
    if not cpu_supports_bf16():
        assert result.returncode == 2
        assert result.last_line.startswith('error: --compare-attention compares bf16 CPU')
        return
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads(out.read_text())
    flash, fused = results['flash'], results['fused']
    assert len(flash['times_ms']) == len(fused['times_ms']) == 3
    assert fused['ratio'] == pytest.approx(fused['median_ms'] / flash['median_ms'])
    # Both paths differ from fp32 by bf16 rounding only, and by as much.
    assert 0 < flash['mean_abs_diff_fp32'] < 0.1 and 0 < fused['mean_abs_diff_fp32'] < 0.1
    assert fused['mean_abs_diff_fp32'] <= 2 * flash['mean_abs_diff_fp32']
    assert f'{fused["median_ms"]:.2f} ms' in result.stdout
    assert f'{fused["ratio"]:.3f}' in result.stdout


def test_attention_paths_of_a_detector_compare_all_its_outputs(run_tool, tmp_path):
    """A detector's step returns nested tuples and lists of tensors: every
    one of them is compared with fp32."""
    from mmris.utils.precision import cpu_supports_bf16
    if not cpu_supports_bf16():
        pytest.skip('--compare-attention needs a CPU with native bf16')
    out = tmp_path / 'attention_det.json'
    result = run_tool('analysis_tools/benchmark.py',
                      'configs/demo/fcos_etris-tiny_simplefpn_synthetic-coco.py', '--device',
                      'cpu', '--precision', 'bf16', '--shape', 64, '--repeat', 1, '--warmup', 1,
                      '--compare-attention', '--json', out)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads(out.read_text())
    for path in ('flash', 'fused'):
        assert 0 < results[path]['mean_abs_diff_fp32'] < 0.1


def test_attention_comparison_is_refused_outside_bf16_cpu_inference(run_tool):
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu',
                      '--compare-attention', '--mode', 'train')
    assert result.returncode == 2
    assert result.last_line.startswith('error: --compare-attention compares bf16 CPU')


@pytest.mark.parametrize('flag, error', [
    ('--roofline', 'error: --roofline counts the FLOPs of the PyTorch step; leave out --onnx'),
    ('--profile', 'error: --profile profiles the model alone; leave out --reference, --onnx and '
                  '--compare-attention')])
def test_roofline_and_profile_are_refused_for_onnx_runs(run_tool, tmp_path, flag, error):
    onnx_file = tmp_path / 'model.onnx'
    onnx_file.write_bytes(b'')
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--device', 'cpu', '--onnx',
                      onnx_file, flag)
    assert result.returncode == 2
    assert result.last_line == error


def test_profile_lists_the_operators_of_the_step(run_tool, tmp_path):
    """--profile: the training step's operators, the linear layers'
    products among them, in the JSON and in the printed table."""
    out = tmp_path / 'profile.json'
    result = run_tool('analysis_tools/benchmark.py', CONFIG, '--mode', 'train', '--device', 'cpu',
                      '--shape', 64, '--repeat', 1, '--warmup', 1, '--profile', '--json', out,
                      '--cfg-options', *TINY)
    assert result.returncode == 0, result.stdout[-3000:]
    profile = json.loads(out.read_text())['profile']
    names = [entry['name'] for entry in profile]
    assert len(profile) == 20 and {'aten::addmm', 'aten::mm'} & set(names)
    assert 'Operators by own time, per step' in result.stdout
    assert f'| {names[0]} ' in result.stdout


def test_a_compiled_step_has_the_flops_of_the_uncompiled_one(monkeypatch, tmp_path):
    """--compile --roofline: the FLOPs are those of the same run without
    --compile, and the rate is the compiled step's (torch.compile with a
    backend that runs the captured graphs as they are: compiling for real
    takes minutes on a CPU)."""
    import functools

    import torch
    monkeypatch.setattr(torch, 'compile',
                        functools.partial(torch.compile, backend='eager'))
    figures = {}
    for flags in ([], ['--compile']):
        out = tmp_path / f'bench{len(flags)}.json'
        _tool().main([CONFIG, *flags, '--roofline', '--device', 'cpu', '--shape', '64',
                      '--repeat', '2', '--warmup', '1', '--json', str(out),
                      '--cfg-options', *TINY])
        figures[bool(flags)] = json.loads(out.read_text())
    compiled = figures[True]
    assert compiled['compile'] is True
    assert compiled['roofline']['flops'] == figures[False]['roofline']['flops'] > 0
    assert compiled['roofline']['achieved_gflops'] == pytest.approx(
        compiled['roofline']['flops'] / (compiled['median_ms'] / 1e3) / 1e9)




def test_onnx_files_are_timed_beside_pytorch(tiny_model_files, run_tool, tmp_path):
    pytest.importorskip('onnxscript', reason='exporting needs onnxscript (requirements/deploy.txt)')
    pytest.importorskip('onnxruntime', reason='needs onnxruntime (requirements/deploy.txt)')
    from mmris.apis import init_model
    from mmris.deployment import export_onnx, quantize_onnx
    config, checkpoint, _ = tiny_model_files
    files = [tmp_path / 'tiny.onnx', tmp_path / 'tiny_int8.onnx']
    quantize_onnx(export_onnx(init_model(config, checkpoint), files[0]), files[1])
    out = tmp_path / 'bench.json'
    result = run_tool('analysis_tools/benchmark.py', config, '--checkpoint', checkpoint,
                      '--device', 'cpu', '--shape', 64, '--batch-size', 2, '--repeat', 3,
                      '--warmup', 1, '--json', out, '--onnx', *files)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads(out.read_text())
    pytorch = results['pytorch']
    assert len(pytorch['times_ms']) == 3
    for onnx_file in map(str, files):
        figures = results[onnx_file]
        assert len(figures['times_ms']) == 3
        assert figures['ratio'] == pytest.approx(figures['median_ms'] / pytorch['median_ms'])
        assert f'ONNX Runtime: {onnx_file}' in result.stdout
        assert f'{figures["ratio"]:.2f}' in result.stdout
    # fp32 gives PyTorch's logits; int8 weights move them, but not far.
    fp32, int8 = results[str(files[0])], results[str(files[1])]
    assert fp32['max_abs_diff'] < 1e-4 and fp32['mask_agreement'] == 1
    assert 0 < int8['max_abs_diff'] < 1 and int8['mask_agreement'] > 0.9

    # A size other than the file's, and a file that is not there, end in one line.
    result = run_tool('analysis_tools/benchmark.py', config, '--checkpoint', checkpoint,
                      '--device', 'cpu', '--shape', 32, '--repeat', 1, '--onnx', files[0])
    assert result.returncode == 2
    assert result.last_line == (f'error: --onnx: {files[0]} takes 64x64 images; run the '
                                f'comparison at that size (--shape 64 64)')
    result = run_tool('analysis_tools/benchmark.py', config, '--device', 'cpu', '--onnx',
                      tmp_path / 'missing.onnx')
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: --onnx '{tmp_path / 'missing.onnx'}' is not")

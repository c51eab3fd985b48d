"""A benchmark run: time a model's step on random inputs, alone, side by
side with the reference ETRIS, or side by side with its exported ONNX files
run by ONNX Runtime, and gather the figures."""
from typing import Dict, Sequence

import torch
from torch.utils._pytree import tree_leaves

from mmris.models.layers.onednn_attention import use_fused_attention

from .inputs import make_inputs
from .memory import MemoryProbe
from .operator_profile import profile_operators
from .reference import reference_inference_step, reference_training_step
from .roofline import count_flops, matmul_rate, roofline_figures
from .steps import inference_step, training_step
from .timing import summarize, time_iterations, time_side_by_side


def benchmark(model: torch.nn.Module, batch_size: int, height: int, width: int, warmup: int,
              repeat: int, device: str, precision: str = 'fp32', seed: int = 0,
              progress: bool = True, title: str = 'benchmark', mode: str = 'infer',
              roofline: bool = False, profile: bool = False) -> Dict:
    """Time an inference or training step (``mode``) on random inputs (B, 3,
    H, W); returns :func:`summarize`'s statistics plus the
    :class:`MemoryProbe` figures (peak over the timed loop, increase over the
    memory before warm-up) and the raw ``times_ms``. With ``roofline``, also
    ``roofline``: :func:`roofline_figures` of the step's FLOPs (counted in
    one untimed step) against the matmul rate at ``precision``, measured
    just before the warm-up. With ``profile``, also ``profile``: the
    operators taking the most time in two more steps after the timed ones
    (:func:`profile_operators`)."""
    images, samples = make_inputs(model, batch_size, height, width, device, seed)
    make_step = training_step if mode == 'train' else inference_step
    step = make_step(model, images, samples, precision, device)
    if roofline:
        flops, rate = count_flops(step), matmul_rate(precision, device)
    probe = MemoryProbe(device)
    times = time_iterations(step, warmup, repeat, device, title, progress, probe)
    results = dict(**summarize(times, batch_size), **probe.stop(),
                   times_ms=[t * 1e3 for t in times])
    if roofline:
        results['roofline'] = roofline_figures(flops, results['median_ms'], rate)
    if profile:
        results['profile'] = profile_operators(step, device=device)
    return results


def compare_with_reference(model: torch.nn.Module, reference: torch.nn.Module, batch_size: int,
                           height: int, width: int, warmup: int, repeat: int, device: str,
                           precision: str = 'fp32', reference_precision: str = 'fp32',
                           seed: int = 0, mode: str = 'infer', roofline: bool = False) -> Dict:
    """Time mmris and the reference side by side (:func:`time_side_by_side`)
    on the same inputs, each in its own code path; per implementation
    (``mmris``, ``reference``) the statistics of :func:`benchmark` (with
    ``roofline``, its ``roofline`` figures too, each against the matmul
    rate at its own precision), and their ``ratio`` (mmris / reference) per
    latency and memory figure."""
    images, samples = make_inputs(model, batch_size, height, width, device, seed)
    token_ids = model.backbone.tokenize([sample.metainfo['text'] for sample in samples])
    if mode == 'train':
        masks = torch.stack([sample.gt_sem_seg.data for sample in samples]).float()
        steps = dict(
            reference=reference_training_step(reference, images, token_ids, masks,
                                              reference_precision, device),
            mmris=training_step(model, images, samples, precision, device))
    else:
        steps = dict(
            reference=reference_inference_step(reference, images, token_ids,
                                               reference_precision, device),
            mmris=inference_step(model, images, samples, precision, device))
    precisions = dict(mmris=precision, reference=reference_precision)
    if roofline:
        flops = {name: count_flops(step) for name, step in steps.items()}
        rates = {p: matmul_rate(p, device) for p in set(precisions.values())}
    results = _side_by_side_figures(time_side_by_side(steps, warmup, repeat, device),
                                    batch_size)
    if roofline:
        for name, figures in results.items():
            figures['roofline'] = roofline_figures(flops[name], figures['median_ms'],
                                                   rates[precisions[name]])
    results['reference']['source'] = reference.source
    results['ratio'] = {key: results['mmris'][key] / results['reference'][key]
                        for key in ('median_ms', 'p90_ms', 'min_ms', 'memory_increase_mb')
                        if results['reference'][key]}
    return results


def compare_with_onnx(model: torch.nn.Module, model_cfg: dict, onnx_files: Sequence[str],
                      batch_size: int, height: int, width: int, warmup: int, repeat: int,
                      seed: int = 0) -> Dict:
    """Time the network of a referring segmentor (``model.logits``, PyTorch
    fp32 on the CPU, without gradients) and each ONNX file exported from it
    (:class:`mmris.deployment.ORTSegmentor.logits`, e.g. fp32 and int8),
    side by side (:func:`time_side_by_side`) on the same random images (B,
    3, H, W) and token ids. ``model_cfg`` is the config's ``model`` (data
    preprocessor, vocabulary and mask threshold of the files).

    Returns, under ``pytorch`` and under each file's path, the statistics of
    :func:`benchmark`; each file's also holds ``ratio`` (its median latency
    over PyTorch's) and :func:`~mmris.deployment.logit_agreement`'s
    ``max_abs_diff`` and ``mask_agreement`` against PyTorch's logits.

    Raises:
        ValueError: a file's input size is not (``height``, ``width``).
    """
    from mmris.deployment import logit_agreement, ort_segmentor_config
    from mmris.registry import MODELS
    images, samples = make_inputs(model, batch_size, height, width, 'cpu', seed)
    token_ids = model.backbone.tokenize([sample.metainfo['text'] for sample in samples])
    model.eval()
    networks = {}
    for onnx_file in onnx_files:
        network = MODELS.build(ort_segmentor_config(onnx_file, model_cfg))
        size = tuple(network.session.get_inputs()[0].shape[-2:])
        if size != (height, width):
            raise ValueError(f'{onnx_file} takes {size[0]}x{size[1]} images; run the '
                             f'comparison at that size (--shape {size[0]} {size[1]})')
        networks[str(onnx_file)] = network

    def pytorch_step():
        with torch.no_grad():
            return model.logits(images, token_ids)

    steps = dict(pytorch=pytorch_step)
    for name, network in networks.items():
        steps[name] = lambda network=network: network.logits(images, token_ids)
    results = _side_by_side_figures(time_side_by_side(steps, warmup, repeat, 'cpu'),
                                    batch_size)
    expected = pytorch_step()
    for name in networks:
        results[name].update(
            ratio=results[name]['median_ms'] / results['pytorch']['median_ms'],
            **logit_agreement(expected, steps[name](), model.test_cfg['mask_threshold']))
    return results


def compare_attention_paths(model: torch.nn.Module, batch_size: int, height: int, width: int,
                            warmup: int, repeat: int, seed: int = 0) -> Dict:
    """Time bf16 CPU inference with attention on the flash kernel and
    through oneDNN Graph (:mod:`mmris.models.layers.onednn_attention`),
    side by side (:func:`time_side_by_side`) on the same random inputs (B,
    3, H, W). Returns, under ``flash`` and ``fused``, the statistics of
    :func:`benchmark`; ``fused`` also holds ``ratio`` (its median latency
    over the flash kernel's) and, for each path, ``mean_abs_diff_fp32``: the
    mean absolute difference of its outputs from the fp32 step's."""
    images, samples = make_inputs(model, batch_size, height, width, 'cpu', seed)
    # Before the bf16 step, which stores the frozen weights in bf16.
    expected = _flat_output(inference_step(model, images, samples, 'fp32', 'cpu')())
    step = inference_step(model, images, samples, 'bf16', 'cpu')

    def on_path(fused: bool):
        def path_step():
            with use_fused_attention(fused):
                return step()
        return path_step

    steps = dict(flash=on_path(False), fused=on_path(True))
    results = _side_by_side_figures(time_side_by_side(steps, warmup, repeat, 'cpu'),
                                    batch_size)
    for name, path_step in steps.items():
        difference = _flat_output(path_step()) - expected
        results[name]['mean_abs_diff_fp32'] = difference.abs().mean().item()
    results['fused']['ratio'] = results['fused']['median_ms'] / results['flash']['median_ms']
    return results


def _flat_output(output) -> torch.Tensor:
    """Every tensor of a step's output (a tensor, or a detector's nested
    tuples and lists of them), flattened into one fp32 vector."""
    return torch.cat([leaf.detach().flatten().float() for leaf in tree_leaves(output)
                      if isinstance(leaf, torch.Tensor)])


def _side_by_side_figures(timed: Dict[str, Dict], batch_size: int) -> Dict[str, Dict]:
    """:func:`time_side_by_side`'s output -> per step, :func:`summarize`'s
    statistics, its memory figures and ``times_ms``."""
    results = {}
    for name, figures in timed.items():
        times = figures.pop('times')
        results[name] = dict(**summarize(times, batch_size), **figures,
                             times_ms=[t * 1e3 for t in times])
    return results

"""The plain-text tables a benchmark prints, from its results dict."""
from typing import Dict, List


def text_table(rows: List[List[str]]) -> List[str]:
    """The lines of a plain-text table of ``rows`` (equal lengths; the first
    is the header, if several columns)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = '+' + '+'.join('-' * (width + 2) for width in widths) + '+'
    lines = [rule]
    for row in rows:
        cells = zip(row, widths, strict=True)
        lines.append('| ' + ' | '.join(cell.ljust(width) for cell, width in cells) + ' |')
    return lines + [rule]


def _header(results: Dict) -> List[str]:
    height, width = results['shape']
    return [
        f'Benchmark of {results["config"]}: {results["mode"]} ({results["model"]}, '
        f'{"checkpoint " + results["checkpoint"] if results["checkpoint"] else "random weights"})',
        f'device {results["device_name"]}, {results["threads"]} CPU threads, batch '
        f'{results["batch_size"]}, input {height}x{width}, {results["precision"]}'
        f'{" compiled" if results["compile"] else ""}, warm-up '
        f'{results["warmup"]}, timed {results["repeat"]}, torch {results["torch"]}',
    ]


def _roofline_cells(figures: Dict) -> List[str]:
    """The values of the roofline rows for one step's ``roofline`` figures."""
    return [f'{figures["flops"] / 1e9:.1f} GFLOP',
            f'{figures["matmul_gflops"]:.0f} GFLOP/s',
            f'{figures["achieved_gflops"]:.0f} GFLOP/s ({100 * figures["fraction"]:.0f}%)',
            f'{figures["latency_at_matmul_rate_ms"]:.2f} ms']


_ROOFLINE_LABELS = ['FLOPs per step', 'Matmul rate (2048^2, this process)',
                    'Achieved (share of the matmul rate)', 'Latency at the matmul rate']


def format_results(results: Dict) -> str:
    """The table of one model's figures."""
    rows = [
        ['Latency median', f'{results["median_ms"]:.2f} ms'],
        ['Latency mean', f'{results["mean_ms"]:.2f} ms'],
        ['Latency p90', f'{results["p90_ms"]:.2f} ms'],
        ['Latency min / max', f'{results["min_ms"]:.2f} / {results["max_ms"]:.2f} ms'],
        ['Throughput', f'{results["images_per_s"]:.2f} images/s (batch / median)'],
        ['Peak memory', f'{results["peak_memory_mb"]:.1f} MiB'],
    ]
    if results['memory_increase_mb'] is not None:
        rows.append(['Peak memory increase', f'{results["memory_increase_mb"]:.1f} MiB'])
    if 'roofline' in results:
        rows += [[label, cell] for label, cell
                 in zip(_ROOFLINE_LABELS, _roofline_cells(results['roofline']), strict=True)]
    lines = _header(results) + text_table(rows) + [f'Memory measure: {results["memory_measure"]}']
    if 'profile' in results:
        lines += ['Operators by own time, per step (torch.profiler, two steps after the timed '
                  'ones):'] + text_table(
            [['Operator', 'Own time', 'Share', 'Calls']]
            + [[entry['name'], f'{entry["self_ms"]:.2f} ms', f'{100 * entry["share"]:.1f}%',
                f'{entry["calls"]:g}'] for entry in results['profile']])
    return '\n'.join(lines)


def format_comparison(results: Dict) -> str:
    """The side-by-side table: reference, mmris and their ratio."""
    ref, ours = results['reference'], results['mmris']

    def row(label, key, unit, digits=2):
        ratio = ours[key] / ref[key] if ref.get(key) else float('nan')
        return [label, f'{ref[key]:.{digits}f} {unit}', f'{ours[key]:.{digits}f} {unit}',
                f'{ratio:.2f}']

    rows = [['', f'reference ({results["reference_precision"]})',
             f'mmris ({results["precision"]})', 'mmris / reference'],
            row('Latency median', 'median_ms', 'ms'), row('Latency p90', 'p90_ms', 'ms'),
            row('Latency min', 'min_ms', 'ms'), row('Throughput', 'images_per_s', 'images/s')]
    if ours['memory_increase_mb'] is not None:
        rows.append(row('Peak memory increase', 'memory_increase_mb', 'MiB', 1))
    if 'roofline' in ours:
        rows += [[label, ref_cell, our_cell, '-'] for label, ref_cell, our_cell
                 in zip(_ROOFLINE_LABELS, _roofline_cells(ref['roofline']),
                        _roofline_cells(ours['roofline']), strict=True)]
    return '\n'.join(_header(results) + [f'reference ETRIS: {results["reference"]["source"]}']
                     + text_table(rows) + [f'Memory measure: {ours["memory_measure"]}'])


def format_onnx_comparison(results: Dict, onnx_files: List[str]) -> str:
    """The side-by-side table: PyTorch and each ONNX file, with latency
    ratios and agreement of the logits."""
    torch_figures = results['pytorch']
    rows = [['', 'median', 'p90', '/ PyTorch', 'logits max abs diff', 'mask agreement'],
            ['PyTorch (fp32)', f'{torch_figures["median_ms"]:.2f} ms',
             f'{torch_figures["p90_ms"]:.2f} ms', '1.00', '-', '-']]
    for name in onnx_files:
        figures = results[name]
        rows.append([f'ONNX Runtime: {name}', f'{figures["median_ms"]:.2f} ms',
                     f'{figures["p90_ms"]:.2f} ms', f'{figures["ratio"]:.2f}',
                     f'{figures["max_abs_diff"]:.2e}',
                     f'{100 * figures["mask_agreement"]:.4f}%'])
    return '\n'.join(_header(results) + ['interleaved, on the same random inputs']
                     + text_table(rows))


def format_attention_comparison(results: Dict) -> str:
    """The side-by-side table of bf16 inference with the flash kernel and
    with the attention fused by oneDNN Graph."""
    rows = [['attention', 'median', 'p90', '/ flash', 'mean abs diff from fp32']]
    for name, label in (('flash', 'flash kernel'), ('fused', 'oneDNN Graph')):
        figures = results[name]
        rows.append([label, f'{figures["median_ms"]:.2f} ms', f'{figures["p90_ms"]:.2f} ms',
                     f'{figures.get("ratio", 1.0):.3f}', f'{figures["mean_abs_diff_fp32"]:.4f}'])
    return '\n'.join(_header(results) + ['interleaved, on the same random inputs']
                     + text_table(rows))

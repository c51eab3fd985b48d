"""mmris.benchmark.timing: statistics and the side-by-side order (no timing
assertions)."""
import pytest

from mmris.benchmark import summarize, text_table, time_iterations, time_side_by_side


def test_statistics():
    # 1, 2, 3, 4 ms: median and mean 2.5; p90 by linear interpolation 3 + 0.7 * (4 - 3)
    stats = summarize([0.004, 0.001, 0.003, 0.002], batch_size=2)
    assert stats['median_ms'] == pytest.approx(2.5)
    assert stats['mean_ms'] == pytest.approx(2.5)
    assert stats['p90_ms'] == pytest.approx(3.7)
    assert (stats['min_ms'], stats['max_ms']) == (pytest.approx(1), pytest.approx(4))
    assert stats['images_per_s'] == pytest.approx(800)  # 2 images / 2.5 ms


def test_time_iterations_runs_warm_up_then_times_each_run():
    calls = []
    times = time_iterations(lambda: calls.append(1), warmup=2, repeat=3, device='cpu',
                            progress=False)
    assert len(calls) == 5 and len(times) == 3 and min(times) >= 0


def test_side_by_side_timing_alternates_and_measures_each():
    calls = []
    steps = {'a': lambda: calls.append('a'), 'b': lambda: calls.append('b')}
    results = time_side_by_side(steps, warmup=2, repeat=3, device='cpu', memory_iterations=2,
                                progress=False)
    # warm-up alternates, then each alone for memory, then rounds in alternating order
    assert calls == ['a', 'b'] * 2 + ['a', 'a', 'b', 'b'] + ['a', 'b', 'b', 'a', 'a', 'b']
    for name in steps:
        assert len(results[name]['times']) == 3 and min(results[name]['times']) >= 0
        assert results[name]['peak_memory_mb'] > 0
        assert 'before its own 2 iterations' in results[name]['memory_measure']


def test_text_table():
    assert text_table([['', 'a'], ['Latency', '1.00 ms']]) == [
        '+---------+---------+',
        '|         | a       |',
        '| Latency | 1.00 ms |',
        '+---------+---------+',
    ]

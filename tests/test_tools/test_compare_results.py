"""tools/analysis_tools/compare_results.py on hand-made results files."""
from mmris_fixtures.results import H, W, band_sample, dump_results


def test_agreement_of_two_runs_against_a_hand_count(run_tool, tmp_path):
    first, second = tmp_path / 'a.pkl', tmp_path / 'b.pkl'
    dump_results([band_sample('x.jpg', 'left', (10, 20)), band_sample('y.jpg', 'right', (0, 10))],
                 first)
    # The first sample is the same; the second's band moves 5 columns right.
    dump_results([band_sample('x.jpg', 'left', (10, 20)), band_sample('y.jpg', 'right', (5, 15))],
                 second)
    result = run_tool('analysis_tools/compare_results.py', first, second)
    assert result.returncode == 0, result.stdout[-3000:]
    # Sample 2: 20 rows x 10 columns differ (5 on each side) of 2 x H x W pixels;
    # its masks share 5 of 15 columns: IoU 1/3, so the mean is (1 + 1/3) / 2.
    disagreeing = 20 * 10
    agreement = 100 * (1 - disagreeing / (2 * H * W))
    assert f'| mask pixels that agree       | {agreement:.4f}%' in result.stdout
    assert '| samples with identical masks | 50.00%' in result.stdout
    assert f'| mean IoU of the two masks    | {100 * (1 + 1 / 3) / 2:.2f}%' in result.stdout
    assert '| max probability difference   | 1.00e+00' in result.stdout


def test_runs_of_different_samples_are_refused(run_tool, tmp_path):
    first, second = tmp_path / 'a.pkl', tmp_path / 'b.pkl'
    dump_results([band_sample('x.jpg', 'left', (10, 20))], first)
    dump_results([band_sample('x.jpg', 'the dog', (10, 20))], second)
    result = run_tool('analysis_tools/compare_results.py', first, second)
    assert result.returncode == 2
    assert result.last_line == (f'error: {first} and {second} are not runs of the same test '
                                f'set: sample 0 is \'x.jpg\' "left" in one and \'x.jpg\' '
                                f'"the dog" in the other')
    dump_results([band_sample('x.jpg', 'left', (10, 20))] * 2, second)
    result = run_tool('analysis_tools/compare_results.py', first, second)
    assert result.last_line.endswith('are not runs of the same test set: 1 samples against 2')
    result = run_tool('analysis_tools/compare_results.py', first, tmp_path / 'missing.pkl')
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: results file '{tmp_path / 'missing.pkl'}' "
                                       f'does not exist')


def test_a_file_that_is_not_a_results_dump_is_named(run_tool, tmp_path):
    first, text = tmp_path / 'a.pkl', tmp_path / 'notes.pkl'
    dump_results([band_sample('x.jpg', 'left', (10, 20))], first)
    text.write_text('not a pickle')
    result = run_tool('analysis_tools/compare_results.py', first, text)
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: '{text}' is not a results file of "
                                       f'tools/test.py --out (UnpicklingError')

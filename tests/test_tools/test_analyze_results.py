"""tools/analysis_tools/analyze_results.py: per-sample IoU ranking, grids,
and a results file that is read without running pickled code."""
import pickle

import cv2
import numpy as np
import torch
from mmris_fixtures.results import H, W, dump_results
from mmris_fixtures.results import band_sample as sample

CONFIG = 'configs/demo/etris_tiny_synthetic_refcoco.py'  # only its visualizer is used


def test_ranks_draws_and_prints(run_tool, tmp_path):
    image = tmp_path / 'img.jpg'
    cv2.imwrite(str(image), np.full((H, W, 3), 120, np.uint8))
    samples = [
        sample(image, 'perfect', (10, 20)),      # IoU 1
        sample(image, 'half', (15, 20)),          # IoU 0.5
        sample(image, 'wrong', (25, 35)),         # IoU 0
        sample(tmp_path / 'gone.jpg', 'third', (10, 40)),  # IoU 1/3, image missing
    ]
    results = tmp_path / 'results.pkl'
    dump_results(samples, results)
    out = tmp_path / 'analysis'
    result = run_tool('analysis_tools/analyze_results.py', CONFIG, results, '--out-dir', out,
                      '--topk', 2)
    assert result.returncode == 0, result.stdout[-3000:]
    lines = result.stdout.splitlines()
    worst = lines[lines.index('worst 2:') + 2:lines.index('worst 2:') + 4]
    best = lines[lines.index('best 2:') + 2:lines.index('best 2:') + 4]
    assert ['"wrong"' in worst[0], '"third"' in worst[1]] == [True, True]
    assert ['"perfect"' in best[0], '"half"' in best[1]] == [True, True]
    assert '33.3' in worst[1] and '100.0' in best[0]
    assert '4 samples, mIoU 45.83' in result.stdout
    assert "image '" in result.stdout and 'gone.jpg' in result.stdout  # the grey-canvas warning
    for name in ('worst.png', 'best.png'):
        grid = cv2.imread(str(out / name))
        # two cells (one column) of GT | prediction at a 256 px image height plus captions
        assert grid.shape[0] > 2 * 256 and grid.shape[1] >= 2 * round(W * 256 / H)


def test_bad_out_dir_and_cell_height_are_refused_before_the_results_are_read(run_tool,
                                                                              tmp_path):
    not_read = tmp_path / 'not_read.pkl'  # does not exist: reading it would be another error
    a_file = tmp_path / 'a_file'
    a_file.write_text('kept')
    result = run_tool('analysis_tools/analyze_results.py', CONFIG, not_read, '--out-dir', a_file)
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line == (f"error: --out-dir '{a_file}' cannot be a folder: '{a_file}' "
                                f'is a file; pick a folder you can write to')
    assert a_file.read_text() == 'kept'
    result = run_tool('analysis_tools/analyze_results.py', CONFIG, not_read, '--out-dir',
                      tmp_path / 'out', '--cell-height', 0)
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line == 'error: --cell-height must be at least 1, got 0'


def test_a_results_file_that_runs_code_is_refused(run_tool, tmp_path):
    marker = tmp_path / 'pwned'

    class RunsCommand:

        def __reduce__(self):
            import os
            return os.system, (f'touch {marker}', )

    results = tmp_path / 'evil.pkl'
    with open(results, 'wb') as f:
        pickle.dump([{'pred_sem_seg': RunsCommand()}], f, protocol=2)
    result = run_tool('analysis_tools/analyze_results.py', CONFIG, results, '--out-dir',
                      tmp_path / 'out')
    assert result.returncode == 2
    assert 'refused to read' in result.last_line and 'system' in result.last_line
    assert not marker.exists()


def test_safe_loader_reads_what_dump_results_writes(tmp_path):
    from mmris.evaluation import load_results
    original = sample(tmp_path / 'a.jpg', 'x', (10, 20))
    original.set_metainfo(dict(scale=np.float32(2.0), flags={1, 2}))
    results = tmp_path / 'results.pkl'
    dump_results([original], results)
    loaded = load_results(str(results))[0]
    expected = original.to_dict()
    assert set(loaded) == set(expected)
    for key in ('pred_sem_seg', 'gt_sem_seg', 'pred_prob'):
        assert torch.equal(loaded[key]['data'], expected[key]['data'])
    np.testing.assert_array_equal(loaded['affine_matrix'], expected['affine_matrix'])
    assert loaded['scale'] == np.float32(2.0) and loaded['flags'] == {1, 2}
    assert loaded['text'] == 'x' and loaded['ori_shape'] == (H, W)

"""tools/analysis_tools/analyze_results.py: per-sample IoU ranking, grids,
and a results file that is read without running pickled code."""
import pickle

import cv2
import numpy as np
import torch
from mmengine.evaluator import DumpResults
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

CONFIG = 'configs/demo/etris_tiny_synthetic_refcoco.py'  # only its visualizer is used
H, W = 30, 40


def sample(img_path, text, pred_cols, gt_cols=(10, 20)):
    """A SegDataSample as the ETRIS model outputs it in a test run."""
    gt = torch.zeros(1, H, W, dtype=torch.int64)
    gt[:, 5:25, gt_cols[0]:gt_cols[1]] = 1
    pred = torch.zeros(1, H, W, dtype=torch.int64)
    pred[:, 5:25, pred_cols[0]:pred_cols[1]] = 1
    data_sample = SegDataSample(metainfo=dict(
        img_path=str(img_path), text=text, ori_shape=(H, W), img_shape=(64, 64),
        affine_matrix=np.eye(2, 3), inverse_affine_matrix=np.eye(2, 3)))
    data_sample.gt_sem_seg = PixelData(data=gt)
    data_sample.pred_sem_seg = PixelData(data=pred)
    data_sample.pred_prob = PixelData(data=pred.float())
    return data_sample


def dump(samples, path):
    """Write ``samples`` exactly as tools/test.py --out does (DumpResults)."""
    metric = DumpResults(out_file_path=str(path))
    metric.process({}, [s.to_dict() for s in samples])
    metric.compute_metrics(metric.results)


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
    dump(samples, results)
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
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'analyze_results.py'
    spec = importlib.util.spec_from_file_location('analyze_results', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    original = sample(tmp_path / 'a.jpg', 'x', (10, 20))
    original.set_metainfo(dict(scale=np.float32(2.0), flags={1, 2}))
    results = tmp_path / 'results.pkl'
    dump([original], results)
    loaded = module.load_results(str(results))[0]
    expected = original.to_dict()
    assert set(loaded) == set(expected)
    for key in ('pred_sem_seg', 'gt_sem_seg', 'pred_prob'):
        assert torch.equal(loaded[key]['data'], expected[key]['data'])
    np.testing.assert_array_equal(loaded['affine_matrix'], expected['affine_matrix'])
    assert loaded['scale'] == np.float32(2.0) and loaded['flags'] == {1, 2}
    assert loaded['text'] == 'x' and loaded['ori_shape'] == (H, W)

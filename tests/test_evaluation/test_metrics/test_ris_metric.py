"""RISMetric: hand-computed values, agreement with mmdet's RefSegMetric,
distributed gathering, the output files and the Evaluator path."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmris_fixtures.warm_python import warm_python_executable
from mmseg.structures import SegDataSample
from PIL import Image

from mmris.evaluation import GRESMetric, RISMetric
from mmris.registry import METRICS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def make_sample(pred, gt, img_path=None, text=None) -> SegDataSample:
    """A SegDataSample with (1, H, W) int64 ``pred`` and ``gt`` as given."""
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=torch.as_tensor(pred, dtype=torch.int64)[None])
    gt = torch.as_tensor(gt)
    sample.gt_sem_seg = PixelData(data=gt[None])
    meta = {}
    if img_path is not None:
        meta['img_path'] = img_path
    if text is not None:
        meta['text'] = text
    sample.set_metainfo(meta)
    return sample


def first(n, shape):
    """A mask of ``shape`` whose first ``n`` pixels (row-major) are 1."""
    mask = np.zeros(int(np.prod(shape)), dtype=np.int64)
    mask[:n] = 1
    return mask.reshape(shape)


def run_metric(samples, **kwargs) -> dict:
    metric = RISMetric(**kwargs)
    metric.process({}, [s.to_dict() for s in samples])
    return metric.evaluate(len(samples))


def hand_cases():
    """Ten samples with hand-countable intersection I and union U."""
    s4, s5 = (4, 4), (5, 5)
    rows01 = np.zeros(s4, np.int64)
    rows01[:2] = 1
    rows12 = np.zeros(s4, np.int64)
    rows12[1:3] = 1
    return [
        # A: empty prediction, gt 4 px             -> I=0,  U=4,  IoU=0
        make_sample(first(0, s4), first(4, s4)),
        # B: prediction 3 px, empty gt             -> I=0,  U=3,  IoU=0
        make_sample(first(3, s4), first(0, s4)),
        # C: both empty                            -> I=0,  U=0,  IoU=0 by convention
        make_sample(first(0, s4), first(0, s4)),
        # D: full-image prediction, gt 4 px        -> I=4,  U=16, IoU=0.25
        make_sample(first(16, s4), first(4, s4)),
        # E: rows 0-1 against rows 1-2 (8 px each) -> I=4,  U=12, IoU=1/3
        make_sample(rows01, rows12),
        # F: 6 px inside a 10 px gt                -> I=6,  U=10, IoU=0.6 (not > 0.6)
        make_sample(first(6, s4), first(10, s4)),
        # G: 17 px inside a 20 px gt (5x5)         -> I=17, U=20, IoU=0.85
        make_sample(first(17, s5), first(20, s5)),
        # H: exact 9 px match                      -> I=9,  U=9,  IoU=1
        make_sample(first(9, s4), first(9, s4)),
        # I: 19 px inside a 20 px gt (5x5)         -> I=19, U=20, IoU=0.95
        make_sample(first(19, s5), first(20, s5)),
        # J: 3 px inside a 4 px gt                 -> I=3,  U=4,  IoU=0.75
        make_sample(first(3, s4), first(4, s4)),
    ]


# IoUs: 0, 0, 0, 0.25, 1/3, 0.6, 0.85, 1, 0.95, 0.75 (10 samples)
HAND_MIOU = 100 * (0.25 + 1 / 3 + 0.6 + 0.85 + 1.0 + 0.95 + 0.75) / 10  # 47.333...
HAND_OIOU = (100 * (0 + 0 + 0 + 4 + 4 + 6 + 17 + 9 + 19 + 3)
             / (4 + 3 + 0 + 16 + 12 + 10 + 20 + 9 + 20 + 4))  # 62/98
HAND_PREC = {
    'Prec@0.5': 100 * 5 / 10,  # F, G, H, I, J
    'Prec@0.6': 100 * 4 / 10,  # G, H, I, J (F is exactly 0.6)
    'Prec@0.7': 100 * 4 / 10,  # G, H, I, J
    'Prec@0.8': 100 * 3 / 10,  # G, H, I
    'Prec@0.9': 100 * 2 / 10,  # H, I
}


def test_hand_computed_values():
    metrics = run_metric(hand_cases())
    assert list(metrics) == ['mIoU', 'oIoU', 'Prec@0.5', 'Prec@0.6', 'Prec@0.7', 'Prec@0.8',
                             'Prec@0.9']
    assert metrics['mIoU'] == pytest.approx(HAND_MIOU, abs=1e-9)
    assert metrics['oIoU'] == pytest.approx(100 * 62 / 98, abs=1e-9)
    assert metrics['oIoU'] == pytest.approx(HAND_OIOU, abs=1e-9)
    for name, value in HAND_PREC.items():
        assert metrics[name] == pytest.approx(value, abs=1e-9), name


def test_mask_iou_by_hand():
    from mmris.evaluation.metrics.ris_metric import mask_iou
    assert mask_iou(np.array([1, 1, 0], bool), np.array([0, 1, 1], bool)) == pytest.approx(1 / 3)
    assert mask_iou(torch.tensor([1, 1, 0]).bool(), torch.tensor([1, 1, 0]).bool()) == 1.0
    assert mask_iou(np.zeros(3, bool), np.zeros(3, bool)) == 0.0


def test_per_sample_results_and_single_cases():
    metric = RISMetric()
    metric.process({}, [s.to_dict() for s in hand_cases()])
    assert [(r['intersection'], r['union']) for r in metric.results] == [
        (0, 4), (0, 3), (0, 0), (4, 16), (4, 12), (6, 10), (17, 20), (9, 9), (19, 20), (3, 4)]
    assert [r['iou'] for r in metric.results] == pytest.approx(
        [0, 0, 0, 0.25, 1 / 3, 0.6, 0.85, 1, 0.95, 0.75])

    # Only empty masks: every IoU and the cumulative IoU are 0, not NaN.
    both_empty = run_metric([make_sample(first(0, (3, 3)), first(0, (3, 3)))] * 2)
    assert all(v == 0.0 for v in both_empty.values())
    # A perfect prediction scores 100 everywhere.
    perfect = run_metric([make_sample(first(5, (3, 3)), first(5, (3, 3)))])
    assert all(v == pytest.approx(100.0) for v in perfect.values())


def test_foreground_rules_and_custom_thresholds():
    pred = np.ones((2, 2), np.int64)
    # float gt: > 0.5 is foreground, so 0.5 itself is background -> I=2, U=4
    float_gt = torch.tensor([[0.0, 0.5], [0.51, 1.0]])
    # integer gt: > 0 is foreground (0/1 and 0/255 labels) -> I=2, U=4
    int_gt = torch.tensor([[0, 0], [1, 255]], dtype=torch.uint8)
    for gt in (float_gt, int_gt):
        metrics = run_metric([make_sample(pred, gt)], thresholds=(0.25, 0.5))
        assert metrics == pytest.approx({'mIoU': 50.0, 'oIoU': 50.0, 'Prec@0.25': 100.0,
                                         'Prec@0.5': 0.0})
    with pytest.raises(ValueError, match='shape'):
        run_metric([make_sample(first(1, (2, 2)), first(1, (2, 3)))])
    with pytest.raises(ValueError, match='thresholds'):
        RISMetric(thresholds=(0.5, 1.5))


def random_samples(n, seed=0):
    """``n`` random samples of a few sizes, some with empty masks."""
    rng = np.random.default_rng(seed)
    samples = []
    for k in range(n):
        h, w = [(7, 9), (16, 16), (23, 11), (32, 40)][k % 4]
        pred = rng.random((h, w)) < rng.uniform(0.1, 0.7)
        gt = rng.random((h, w)) < rng.uniform(0.1, 0.7)
        if k % 11 == 3:
            pred[:] = False
        if k % 13 == 5:
            gt[:] = False
        if k % 17 == 7:
            pred[:] = gt[:] = False
        samples.append((pred, gt))
    return samples


@pytest.mark.parametrize('metric', [RISMetric, GRESMetric])
def test_bad_samples_are_refused_in_one_line_naming_the_metric_and_image(metric):
    sample = make_sample(np.zeros((4, 6)), np.zeros((4, 5)), img_path='img_7.jpg', text='x')
    with pytest.raises(ValueError) as error:
        metric().process({}, [sample])
    message = str(error.value)
    assert '\n' not in message and metric.__name__ in message and 'img_7.jpg' in message
    assert '(1, 4, 6)' in message and '(1, 4, 5)' in message
    no_gt = SegDataSample()
    no_gt.pred_sem_seg = PixelData(data=torch.zeros(1, 4, 6, dtype=torch.int64))
    with pytest.raises(KeyError, match=f'{metric.__name__} needs pred_sem_seg and gt_sem_seg'):
        metric().process({}, [no_gt])


def test_agrees_with_mmdet_refseg_metric():
    from mmdet.evaluation.metrics import RefSegMetric
    from mmdet.structures.mask import BitmapMasks

    pairs = random_samples(50)
    ours = run_metric([make_sample(p, g.astype(np.int64)) for p, g in pairs])

    theirs = RefSegMetric()
    theirs.process({}, [dict(pred_instances=dict(masks=torch.from_numpy(p)[None]),
                             gt_masks=BitmapMasks(g[None].astype(np.uint8), *g.shape))
                        for p, g in pairs])
    reference = theirs.evaluate(len(pairs))
    assert ours['oIoU'] == pytest.approx(float(reference['cIoU']), abs=1e-6)
    assert ours['mIoU'] == pytest.approx(float(reference['mIoU']), abs=1e-6)


def test_results_of_two_shards_merge_to_the_same_metrics():
    samples = [make_sample(p, g.astype(np.int64)) for p, g in random_samples(21, seed=1)]
    single = run_metric(samples)
    shards = [RISMetric(), RISMetric()]
    shards[0].process({}, [s.to_dict() for s in samples[:10]])
    shards[1].process({}, [s.to_dict() for s in samples[10:]])
    merged = RISMetric().compute_metrics(shards[0].results + shards[1].results)
    assert merged == pytest.approx(single, abs=1e-12)


WORKER = r'''
import json, os, sys
import numpy as np
import torch
import torch.distributed as dist
from mmris.evaluation import GRESMetric, RISMetric

data = np.load(sys.argv[1])
out_dir = sys.argv[2]
preds, gts = data['preds'], data['gts']
# A file rendezvous: no port is picked (and possibly taken) before the run.
dist.init_process_group('gloo', init_method='file://' + os.environ['INIT_FILE'],
                        rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']))
rank, world = dist.get_rank(), dist.get_world_size()
n = len(preds)
# mmengine's DefaultSampler (shuffle=False): rank r takes r, r + world, ...,
# padded from the start so that every rank has the same number of samples.
per_rank = -(-n // world)
indices = (list(range(n)) * 2)[:per_rank * world][rank::world]
metric = RISMetric(output_dir=out_dir)
for k in indices:  # what SegDataSample.to_dict() gives
    metric.process({}, [dict(img_path=f'img_{k}.jpg', text=f'object {k}',
                             pred_sem_seg=dict(data=torch.from_numpy(preds[k])[None]),
                             gt_sem_seg=dict(data=torch.from_numpy(gts[k])[None]))])
metrics = metric.evaluate(n)
print('METRICS ' + json.dumps(metrics))
dist.destroy_process_group()
'''


def test_two_process_gloo_evaluation(tmp_path):
    n = 7  # odd, so rank 1 gets a padding sample (sample 0 again)
    rng = np.random.default_rng(2)
    gts = (rng.random((n, 16, 16)) < 0.5).astype(np.int64)
    # predictions: the gt with 0%, 5%, ..., 30% of the pixels flipped
    flips = rng.random((n, 16, 16)) < 0.05 * np.arange(n)[:, None, None]
    preds = gts ^ flips
    preds[3] = 0  # an empty prediction
    np.savez(tmp_path / 'samples.npz', preds=preds, gts=gts)
    script = tmp_path / 'worker.py'
    script.write_text(WORKER)
    out_dir = tmp_path / 'out'
    env = dict(os.environ, INIT_FILE=str(tmp_path / 'rendezvous'), WORLD_SIZE='2')
    procs = [subprocess.Popen([warm_python_executable(), str(script), str(tmp_path / 'samples.npz'),
                               str(out_dir)], cwd=REPO, env=dict(env, RANK=str(rank)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for rank in range(2)]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-4000:]
    results = [json.loads(line[len('METRICS '):]) for output in outputs
               for line in output.splitlines() if line.startswith('METRICS ')]
    single = run_metric([make_sample(p, g) for p, g in zip(preds, gts, strict=True)])
    assert len(results) == 2  # evaluate() broadcasts rank 0's metrics
    assert 0 < single['Prec@0.9'] < single['Prec@0.5'] < 100
    for metrics in results:
        assert metrics == pytest.approx(single, abs=1e-9)

    # per_sample.json: the n samples in data set order, the padding dropped.
    per_sample = json.loads((out_dir / 'per_sample.json').read_text())
    assert [e['img_path'] for e in per_sample] == [f'img_{k}.jpg' for k in range(n)]
    assert [e['mask'] for e in per_sample] == [f'{k:06d}_object_{k}.png' for k in range(n)]
    # one PNG per processed sample, the padding one (index 7) included
    assert len(os.listdir(out_dir / 'masks')) == n + 1


def test_output_dir_writes_json_and_pngs(tmp_path):
    samples = hand_cases()[3:6]
    for k, sample in enumerate(samples):
        sample.set_metainfo(dict(img_path=f'/data/img_{k}.jpg', text=f'the "left" cat #{k}'))
    samples.append(make_sample(first(2, (3, 3)), first(2, (3, 3))))  # no img_path or text
    metric = RISMetric(output_dir=str(tmp_path / 'out'))
    metric.process({}, [s.to_dict() for s in samples])
    metric.evaluate(len(samples))

    per_sample = json.loads((tmp_path / 'out' / 'per_sample.json').read_text())
    assert [(e['intersection'], e['union']) for e in per_sample] == [(4, 16), (4, 12), (6, 10),
                                                                     (2, 2)]
    assert [e['iou'] for e in per_sample] == pytest.approx([0.25, 1 / 3, 0.6, 1.0])
    assert [e['img_path'] for e in per_sample] == ['/data/img_0.jpg', '/data/img_1.jpg',
                                                   '/data/img_2.jpg', None]
    assert per_sample[0]['text'] == 'the "left" cat #0' and per_sample[3]['text'] is None
    names = [e['mask'] for e in per_sample]
    assert names == ['000000_the_left_cat_0.png', '000001_the_left_cat_1.png',
                     '000002_the_left_cat_2.png', '000003_mask.png']
    assert sorted(os.listdir(tmp_path / 'out' / 'masks')) == names
    for name, sample in zip(names, samples, strict=True):
        png = np.array(Image.open(tmp_path / 'out' / 'masks' / name))
        assert png.dtype == np.uint8 and set(np.unique(png)) <= {0, 255}
        np.testing.assert_array_equal(png, sample.pred_sem_seg.data[0].numpy() * 255)

    # The counter restarts with the next evaluation: the files are rewritten.
    metric.process({}, [samples[0].to_dict()])
    metric.evaluate(1)
    assert json.loads((tmp_path / 'out' / 'per_sample.json').read_text())[0]['mask'] == names[0]


def test_evaluator_builds_from_the_mmris_scope():
    assert METRICS.get('RISMetric') is RISMetric
    evaluator = Evaluator(dict(type='RISMetric'))
    assert isinstance(evaluator.metrics[0], RISMetric)
    samples = hand_cases()
    evaluator.process(data_samples=samples[:4])
    evaluator.process(data_samples=samples[4:])
    metrics = evaluator.evaluate(len(samples))
    assert metrics['mIoU'] == pytest.approx(HAND_MIOU)
    assert metrics['oIoU'] == pytest.approx(HAND_OIOU)
    assert metrics['Prec@0.9'] == pytest.approx(20.0)


def test_mmseg_scope_finds_the_metric_by_mmris_prefix():
    code = '''
from mmengine.registry import DefaultScope
from mmseg.registry import METRICS
with DefaultScope.overwrite_default_scope('mmseg'):
    metric = METRICS.build(dict(type='mmris.RISMetric'))
print(type(metric).__module__)
'''
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == 'mmris.evaluation.metrics.ris_metric'

"""TopKAccuracy against a hand count, alone and across two gloo processes."""
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.dataset import DefaultSampler

from projects.etris_cls.etris_cls import TopKAccuracy

# Seven images, five classes. Label rank by hand (other classes scored >= the label):
SCORES = [
    [0.9, 0.05, 0.02, 0.02, 0.01],  # label 0: best            -> rank 0
    [0.5, 0.3, 0.1, 0.05, 0.05],    # label 1: second          -> rank 1
    [0.4, 0.3, 0.2, 0.06, 0.04],    # label 3: fourth          -> rank 3
    [0.1, 0.2, 0.3, 0.4, 0.0],      # label 4: last            -> rank 4
    [0.25, 0.25, 0.2, 0.2, 0.1],    # label 1: tied with 0     -> rank 1 (ties count against)
    [0.2, 0.2, 0.2, 0.2, 0.2],      # label 2: all tied        -> rank 4
    [0.1, 0.1, 0.6, 0.1, 0.1],      # label 2: best            -> rank 0
]
LABELS = [0, 1, 3, 4, 1, 2, 2]
# top-1: images 0 and 6 -> 2/7; top-2: + 1, 4 -> 4/7; top-4: + 2 -> 5/7.
EXPECTED = {'accuracy/top1': 200 / 7, 'accuracy/top2': 400 / 7, 'accuracy/top4': 500 / 7}


def samples(indices):
    return [dict(pred_score=torch.tensor(SCORES[i]), gt_label=torch.tensor([LABELS[i]]))
            for i in indices]


def test_top_k_matches_the_hand_count():
    metric = TopKAccuracy(topk=(1, 2, 4))
    metric.process(None, samples(range(3)))
    metric.process(None, samples(range(3, 7)))
    assert metric.evaluate(7) == pytest.approx(EXPECTED)


def test_nan_scores_count_as_misses():
    """A diverged model (NaN scores) is wrong for every k, not right."""
    metric = TopKAccuracy(topk=(1, 5))
    nan = torch.full((5,), float('nan'))
    partly = torch.tensor([0.9, float('nan'), 0.02, 0.02, 0.01])
    metric.process(None, [dict(pred_score=nan, gt_label=torch.tensor([0])),
                          dict(pred_score=partly, gt_label=torch.tensor([0])),
                          dict(pred_score=torch.tensor(SCORES[0]), gt_label=torch.tensor([0]))])
    assert metric.evaluate(3) == pytest.approx({'accuracy/top1': 100 / 3,
                                                'accuracy/top5': 100 / 3})


def test_bad_topk_is_refused():
    with pytest.raises(ValueError, match='topk'):
        TopKAccuracy(topk=(0, ))
    metric = TopKAccuracy(topk=(1, 6))
    with pytest.raises(ValueError, match='at least 6 classes, but the model scores 5'):
        metric.process(None, samples([0]))


def evaluate_on_rank(rank: int, world_size: int, port: str, queue) -> None:
    """One process: its DefaultSampler share (padded to 8 by repeating), in
    batches of 2, as the ValLoop would feed the metric."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    try:
        indices = list(DefaultSampler(list(range(7)), shuffle=False))
        metric = TopKAccuracy(topk=(1, 2, 4))
        for start in range(0, len(indices), 2):
            metric.process(None, samples(indices[start:start + 2]))
        queue.put((rank, indices, metric.evaluate(7)))
    finally:
        dist.destroy_process_group()


def test_two_processes_count_every_image_once(free_port):
    context = mp.get_context('fork')
    queue = context.Queue()
    port = free_port()
    processes = [context.Process(target=evaluate_on_rank, args=(rank, 2, port, queue))
                 for rank in range(2)]
    for process in processes:
        process.start()
    results = sorted(queue.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    (_, first, metrics0), (_, second, metrics1) = results
    assert first == [0, 2, 4, 6] and second == [1, 3, 5, 0]  # image 0 is seen twice
    assert metrics0 == pytest.approx(EXPECTED) and metrics1 == pytest.approx(EXPECTED)

"""A sampler that also decides which expression of an object each read uses."""
from typing import Iterator, Optional, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmris.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class ExpressionSampler(Sampler):
    """Wraps a sampler and pairs each index it yields with a random draw,
    ``(index, draw)``; a referring data set in ``train`` mode reads
    expression ``draw % n`` of the object's ``n`` expressions.

    Drawing in the sampler rather than in the data set makes the choice a
    function of the seed, the rank, the epoch and the position in it, none
    of which depends on data-loader worker processes: a run resumed from a
    checkpoint reads the same expressions as an uninterrupted one (the
    reference draws one expression per object and epoch at random as
    well, but from each worker's random state).

    Args:
        dataset: The data set (passed on to ``sampler``).
        sampler (dict): Config of the wrapped sampler, e.g.
            ``dict(type='DefaultSampler', shuffle=True)``.
        seed (int, optional): Seed of the draws (and of ``sampler``);
            synchronised across ranks when None, as mmengine's samplers do.
    """

    def __init__(self, dataset, sampler: dict, seed: Optional[int] = None):
        self.seed = sync_random_seed() if seed is None else seed
        self.sampler = DATA_SAMPLERS.build(sampler, default_args=dict(dataset=dataset,
                                                                       seed=self.seed))
        self.epoch = 0

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        rank, _ = get_dist_info()
        draws = np.random.default_rng([self.seed, rank, self.epoch])
        for index in self.sampler:
            yield int(index), int(draws.integers(2**31))

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

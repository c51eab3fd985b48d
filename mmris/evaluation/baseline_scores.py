"""Scores of trivial predictions under a config's evaluator: the numbers a
trained model has to beat (``tools/analysis_tools/*_baselines.py``)."""
import copy
import numbers
from typing import Callable, Dict, Sequence

from mmengine.evaluator import Evaluator
from mmengine.utils import ProgressBar


def score_baselines(names: Sequence[str], evaluator_cfg: dict, dataset_meta: dict,
                    num_samples: int, predict: Callable[[int], Dict[str, object]]
                    ) -> Dict[str, Dict[str, object]]:
    """Evaluate each baseline with its own evaluator, built from
    ``evaluator_cfg`` (a config's ``test_evaluator``).

    Args:
        names: the baselines, in the order they are reported.
        dataset_meta: the test set's ``metainfo``, given to every evaluator.
        num_samples: test samples, visited by index with a progress bar.
        predict: index -> ``{name: data sample}`` with each baseline's
            prediction for that sample (a data sample or its dict form, as the
            evaluator's metric expects).

    Returns:
        ``{name: metrics}``, as ``Evaluator.evaluate`` gives them.
    """
    evaluators = {name: Evaluator(copy.deepcopy(evaluator_cfg)) for name in names}
    for evaluator in evaluators.values():
        evaluator.dataset_meta = dataset_meta
    progress = ProgressBar(num_samples)
    for index in range(num_samples):
        predictions = predict(index)
        for name, evaluator in evaluators.items():
            evaluator.process([predictions[name]])
        progress.update()
    print()
    return {name: evaluator.evaluate(num_samples) for name, evaluator in evaluators.items()}


def format_scores(scores: Dict[str, Dict[str, object]], digits: int = 2) -> str:
    """One line per baseline, ``name: metric value  metric value``, with the
    numeric metrics only (``CocoMetric`` also returns a copy-paste string)."""
    return '\n'.join(
        f'{name}: ' + '  '.join(f'{key} {value:.{digits}f}' for key, value in metrics.items()
                                if isinstance(value, numbers.Real))
        for name, metrics in scores.items())

"""Reading the predictions ``tools/test.py --out`` dumps, without running
any code the file names."""
import os.path as osp
from typing import List

from mmris.checkpoint.restricted_unpickler import RefusedGlobalError, load_with_tensors
from mmris.utils import UsageError


def load_results(path: str) -> List[dict]:
    """The list of sample dicts (``SegDataSample.to_dict()``: metainfo,
    ``pred_sem_seg``, ``gt_sem_seg``, ``pred_prob``) in a ``tools/test.py
    --out`` file, read with
    :func:`mmris.checkpoint.restricted_unpickler.load_with_tensors`.

    Raises:
        UsageError: the file is missing, refused, or not such a list.
    """
    if not osp.isfile(path):
        raise UsageError(f'results file {path!r} does not exist; write one with '
                         f'tools/test.py CONFIG CHECKPOINT --out {path}')
    with open(path, 'rb') as f:
        try:
            results = load_with_tensors(f, f'results file {path!r}')
        except RefusedGlobalError as error:
            raise UsageError(f'refused to read {path!r}: {error}') from None
        except Exception as error:  # truncated or not a pickle at all
            raise UsageError(f'{path!r} is not a results file of tools/test.py --out '
                             f'({type(error).__name__}: {error})') from None
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise UsageError(f'{path!r} does not hold a list of sample dicts, as tools/test.py '
                         f'--out writes')
    return results

"""How far two test runs' predictions of the same samples agree (PyTorch
against ONNX Runtime, fp32 against bf16 or int8, eager against compiled)."""
from typing import Dict, List

import torch

from .metrics.ris_metric import foreground, intersection_and_union


def prediction_agreement(first: List[dict], second: List[dict]) -> Dict[str, float]:
    """Two lists of dumped samples (:func:`load_results`), in the same order
    -> ``samples``; ``pixel_agreement``, the share of pixels whose
    foreground (``pred_sem_seg``) is the same in both; ``identical_masks``,
    the share of samples whose masks are equal; ``mean_mask_iou``, the mean
    IoU of the two masks of a sample (1 where both are empty); and
    ``max_prob_diff``, the largest difference of ``pred_prob`` (None where a
    list has none).

    Raises:
        ValueError: the lists differ in length, or a pair is not the same
            sample (image, expression, size).
    """
    if len(first) != len(second):
        raise ValueError(f'{len(first)} samples against {len(second)}')
    same = total = identical = 0
    ious, prob_diffs = [], []
    for index, (a, b) in enumerate(zip(first, second, strict=True)):
        if (a.get('img_path'), a.get('text')) != (b.get('img_path'), b.get('text')):
            raise ValueError(f'sample {index} is {a.get("img_path")!r} "{a.get("text")}" in '
                             f'one and {b.get("img_path")!r} "{b.get("text")}" in the other')
        mask_a = foreground(torch.as_tensor(a['pred_sem_seg']['data']))
        mask_b = foreground(torch.as_tensor(b['pred_sem_seg']['data']))
        if mask_a.shape != mask_b.shape:
            raise ValueError(f'sample {index} ({a.get("img_path")!r}): masks of shape '
                             f'{tuple(mask_a.shape)} and {tuple(mask_b.shape)}')
        equal = int((mask_a == mask_b).sum())
        same, total = same + equal, total + mask_a.numel()
        identical += equal == mask_a.numel()
        intersection, union = intersection_and_union(mask_a, mask_b)
        ious.append(intersection / union if union else 1.0)
        if 'pred_prob' in a and 'pred_prob' in b:
            diff = torch.as_tensor(a['pred_prob']['data']).float() \
                - torch.as_tensor(b['pred_prob']['data']).float()
            prob_diffs.append(float(diff.abs().max()))
    count = len(first)
    return dict(samples=count, pixel_agreement=same / total if total else 1.0,
                identical_masks=identical / count if count else 1.0,
                mean_mask_iou=sum(ious) / count if count else 1.0,
                max_prob_diff=max(prob_diffs) if len(prob_diffs) == count and count else None)

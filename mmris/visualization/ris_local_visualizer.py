"""Pictures of referring segmentations: masks over the image, the expression
as a caption, ground truth beside prediction."""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.dist import master_only
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from mmris.evaluation.metrics.ris_metric import foreground, mask_iou
from mmris.registry import VISUALIZERS

from .unicode_text import UnicodeText

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_RIS_CLASSES = ('background', 'object')
_RIS_PALETTE = [[0, 0, 0], [255, 64, 64]]


def to_binary_mask(mask) -> np.ndarray:
    """A (1, H, W) or (H, W) tensor or array -> (H, W) bool foreground, by
    :func:`mmris.evaluation.metrics.ris_metric.foreground` (``> 0.5`` for a
    float mask, ``> 0`` otherwise)."""
    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    mask = foreground(mask.detach().cpu())
    return mask.reshape(mask.shape[-2:]).numpy()


@VISUALIZERS.register_module()
class RISLocalVisualizer(SegLocalVisualizer):
    """mmseg's ``SegLocalVisualizer`` drawing referring segmentations.

    For a referring sample (one whose metainfo has the expression ``text``,
    or any sample when the data set has at most two classes) a picture is

    - one panel per mask drawn, ground truth left and prediction right: the
      image with the mask's foreground tinted in the mask's colour
      (``alpha``) and outlined by its contours (on a white halo), labelled ``GT`` and
      ``prediction`` (``prediction (IoU xx.x)``, in percent, when the
      ground truth is there too);
    - under the panels, a white band with the expression in quotes,
      wrapped to the picture's width in at most ``max_caption_lines`` lines,
      cut short with an ellipsis beyond (and ``title`` above it, if given;
      ``no match`` below it when the prediction is empty, with the
      ``no_target_score`` of a no-target head when the sample has one),
      drawn by :class:`~mmris.visualization.unicode_text.UnicodeText`, so
      Chinese, accented or emoji expressions keep their characters.

    A sample without ground truth (inference) gets the prediction panel
    only. Masks are ``gt_sem_seg`` and ``pred_sem_seg`` (``pred_prob`` >
    0.5 if there is no ``pred_sem_seg``); a mask whose size differs from the
    image's is resized to it (nearest), the IoU is taken before resizing
    when both masks have the same size. Images whose shorter side is under
    ``min_size`` are enlarged first, so small images stay readable: by
    ``min_size / shorter side``, or less where that would make the longer
    side exceed ``max_size`` (a 4000 x 1 strip becomes 4096 x 1, not
    1,024,000 x 256); an image is never shrunk.

    Any other sample (multi-class semantic segmentation) is drawn by
    ``SegLocalVisualizer`` unchanged, so this visualizer can be every
    config's default.

    Args:
        name, image, vis_backends, save_dir: as for mmengine's Visualizer.
        classes, palette, dataset_name: as for ``SegLocalVisualizer``;
            without them the classes are ``('background', 'object')``.
            The runner replaces them by the data set's metainfo.
        alpha (float): Opacity of the mask tint. Defaults to 0.5.
        gt_color (Sequence[int]): RGB colour of the ground truth mask
            (cyan by default).
        pred_color (Sequence[int]): RGB colour of the predicted mask
            (magenta by default).
        min_size (int): Shorter side below which images are enlarged
            (0: never). Defaults to 256.
        max_size (int): The longest the longer side of an enlarged image
            gets. Defaults to 4096.
        max_caption_lines (int): The most lines the expression may take in
            the caption band, at least 1. Defaults to 4.
        font_files (Sequence[str], optional): Caption fonts, first choice
            first; by default the fonts
            :func:`~mmris.visualization.unicode_text.find_fonts` finds.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[Dict] = None,
                 save_dir: Optional[str] = None,
                 classes: Optional[List] = None,
                 palette: Optional[List] = None,
                 dataset_name: Optional[str] = None,
                 alpha: float = 0.5,
                 gt_color: Sequence[int] = (0, 255, 255),
                 pred_color: Sequence[int] = (255, 0, 255),
                 min_size: int = 256,
                 max_size: int = 4096,
                 max_caption_lines: int = 4,
                 font_files: Optional[Sequence[str]] = None,
                 **kwargs):
        # SegLocalVisualizer passes classes and palette on in swapped order,
        # so they are set here instead.
        super().__init__(name, image, vis_backends, save_dir, alpha=alpha,
                         dataset_name=dataset_name, **kwargs)
        if classes is None and palette is None and dataset_name is None:
            classes, palette = _RIS_CLASSES, _RIS_PALETTE
        if classes or palette:
            self.set_dataset_meta(classes=classes, palette=palette, dataset_name=dataset_name)
        self.gt_color = tuple(int(c) for c in gt_color)
        self.pred_color = tuple(int(c) for c in pred_color)
        self.min_size = min_size
        self.max_size = max_size
        self.max_caption_lines = max_caption_lines
        self.caption_text = UnicodeText(font_files)

    # ------------------------------------------------------------------ API
    def is_referring(self, data_sample: Optional[SegDataSample]) -> bool:
        """Whether ``data_sample`` is drawn as a referring sample (see the
        class docstring) rather than by ``SegLocalVisualizer``."""
        if data_sample is not None and 'text' in data_sample:
            return True
        classes = (self.dataset_meta or {}).get('classes') or ()
        return len(classes) <= 2

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[SegDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       with_labels: Optional[bool] = True,
                       title: Optional[str] = None) -> None:
        """Draw ``data_sample`` over ``image`` (RGB, H x W x 3 uint8) and
        show it, write it to ``out_file``, or else hand it to the vis
        backends as ``name`` (``LocalVisBackend`` writes
        ``<save_dir>/vis_data/vis_image/<name>_<step>.png``), as ``SegLocalVisualizer``
        does. ``title`` is an extra caption line of referring pictures."""
        if not self.is_referring(data_sample):
            return super().add_datasample(
                name, image, data_sample, draw_gt=draw_gt, draw_pred=draw_pred, show=show,
                wait_time=wait_time, out_file=out_file, step=step, with_labels=with_labels)
        drawn = self.draw_referring(image, data_sample, draw_gt=draw_gt, draw_pred=draw_pred,
                                    title=title)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)

    def draw_referring(self,
                       image: np.ndarray,
                       data_sample: Optional[SegDataSample],
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       title: Optional[str] = None) -> np.ndarray:
        """The picture of a referring sample (see the class docstring) as an
        RGB uint8 array; it also becomes the visualizer's current image."""
        image = np.ascontiguousarray(image[..., :3] if image.ndim == 3 else
                                     np.stack([image] * 3, axis=-1), dtype=np.uint8)
        gt = pred = None
        if data_sample is not None:
            if draw_gt and 'gt_sem_seg' in data_sample:
                gt = to_binary_mask(data_sample.gt_sem_seg.data)
            if draw_pred and 'pred_sem_seg' in data_sample:
                pred = to_binary_mask(data_sample.pred_sem_seg.data)
            elif draw_pred and 'pred_prob' in data_sample:
                pred = to_binary_mask(data_sample.pred_prob.data.float())
        iou = mask_iou(pred, gt) if gt is not None and pred is not None and \
            gt.shape == pred.shape else None
        if iou is None and gt is not None and pred is not None:
            iou = mask_iou(self._fit(pred, image.shape[:2]), self._fit(gt, image.shape[:2]))

        image = self._enlarge(image)
        panels = []
        if gt is not None:
            panels.append(self._draw_panel(image, self._fit(gt, image.shape[:2]),
                                           self.gt_color, 'GT'))
        if pred is not None:
            label = 'prediction' if iou is None else f'prediction (IoU {100 * iou:.1f})'
            panels.append(self._draw_panel(image, self._fit(pred, image.shape[:2]),
                                           self.pred_color, label))
        drawn = np.concatenate(panels, axis=1) if panels else image.copy()
        if len(panels) == 2:  # a white line between the panels (over the right one's edge)
            drawn[:, image.shape[1]:image.shape[1] + max(1, image.shape[1] // 300)] = 255

        lines = [] if title is None else [(title, None)]  # (line, most lines wrapped)
        text = data_sample.metainfo.get('text') if data_sample is not None else None
        if text:
            lines.append((f'"{text}"', self.max_caption_lines))
        if pred is not None and not pred.any():
            score = data_sample.get('no_target_score')
            lines.append(('no match' if score is None else
                          f'no match (no-target score {score:.2f})', None))
        if lines:
            drawn = np.concatenate([drawn, self._caption_band(lines, drawn.shape[1],
                                                              image.shape[0])], axis=0)
        self.set_image(drawn)
        return drawn

    # -------------------------------------------------------------- drawing
    def _enlarge(self, image: np.ndarray) -> np.ndarray:
        short, long = sorted(image.shape[:2])
        if not self.min_size or short >= self.min_size:
            return image
        scale = min(self.min_size / short, self.max_size / long)
        if scale <= 1:
            return image
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)

    @staticmethod
    def _fit(mask: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
        if mask.shape == tuple(shape):
            return mask
        return cv2.resize(mask.astype(np.uint8), (shape[1], shape[0]),
                          interpolation=cv2.INTER_NEAREST).astype(bool)

    def _draw_panel(self, image: np.ndarray, mask: np.ndarray, color: Tuple[int, ...],
                    label: str) -> np.ndarray:
        panel = image.copy()
        if mask.any():
            tint = np.array(color, dtype=np.float32)
            panel[mask] = (panel[mask] * (1 - self.alpha) + tint * self.alpha).astype(np.uint8)
            contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST,
                                           cv2.CHAIN_APPROX_NONE)
            thickness = max(1, round(min(image.shape[:2]) / 200))
            # A white halo keeps the outline visible on objects of the mask's colour.
            cv2.drawContours(panel, contours, -1, (255, 255, 255), thickness + 2, cv2.LINE_AA)
            cv2.drawContours(panel, contours, -1, color, thickness, cv2.LINE_AA)
        self._draw_label(panel, label)
        return panel

    @staticmethod
    def _font(height: int) -> Tuple[float, int]:
        """Font scale and stroke thickness for a picture ``height`` high."""
        scale = min(1.2, max(0.4, height / 500))
        return scale, 1 if scale < 0.8 else 2

    def _draw_label(self, panel: np.ndarray, label: str) -> None:
        """``label`` in white on a black box at the panel's top left corner."""
        height, width = panel.shape[:2]
        scale, thickness = self._font(height)
        (w, h), base = cv2.getTextSize(label, _FONT, scale, thickness)
        if w + 8 > width:  # shrink to fit a narrow panel
            scale *= (width - 8) / (w + 8)
            (w, h), base = cv2.getTextSize(label, _FONT, scale, thickness)
        pad = max(2, h // 3)
        cv2.rectangle(panel, (0, 0), (w + 2 * pad, h + base + 2 * pad), (0, 0, 0), -1)
        cv2.putText(panel, label, (pad, pad + h), _FONT, scale, (255, 255, 255), thickness,
                    cv2.LINE_AA)

    def _caption_band(self, lines: List[Tuple[str, Optional[int]]], width: int,
                      image_height: int) -> np.ndarray:
        """A white band ``width`` wide with ``lines`` wrapped to fit it, each
        ``(line, max_lines)`` in at most ``max_lines`` lines (None: all it
        needs)."""
        scale, _ = self._font(image_height)
        size = max(10, round(30 * scale))  # about the height of the Hershey labels
        margin = max(4, size // 2)
        wrapped = [part for line, max_lines in lines
                   for part in self.caption_text.wrap(line, size, width - 2 * margin, max_lines)]
        line_height = round(size * 1.3)
        band = np.full((2 * margin + line_height * len(wrapped), width, 3), 255, np.uint8)
        return self.caption_text.draw_lines(band, wrapped, (margin, margin + size), size,
                                            line_height)

"""A visualization hook that names each picture after its sample."""
import os.path as osp
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
from mmengine.dist import all_gather_object, get_dist_info
from mmseg.engine.hooks import SegVisualizationHook
from mmseg.structures import SegDataSample

from mmris.evaluation.metrics.ris_metric import sanitise_text
from mmris.registry import HOOKS
from mmris.utils.errors import UsageError


def sample_name(img_path: str, index: int, text: Optional[str] = None) -> str:
    """``<image stem>_<index>_<sanitised expression>`` (``<image stem>_<index>``
    without an expression), e.g. ``COCO_train2014_000000000001_000002_the_red_circle``.
    ``index`` is zero-padded to six digits."""
    stem = osp.splitext(osp.basename(img_path))[0]
    name = f'{stem}_{index:06d}'
    return f'{name}_{sanitise_text(text)}' if text else name


@HOOKS.register_module()
class RISVisualizationHook(SegVisualizationHook):
    """mmseg's ``SegVisualizationHook`` with one picture per sample.

    mmseg names a picture after its image file only, so the several
    expressions of one image overwrite one another's picture. This hook
    names it :func:`sample_name` of the image path, the sample's index in
    the evaluated data set and its expression (``LocalVisBackend`` then
    writes ``<save_dir>/vis_data/vis_image/<name>_<step>.png``). Samples without an
    expression (semantic segmentation) are named by image and index.

    The index counts the samples of the current val/test epoch: with
    mmengine's ``DefaultSampler`` (``shuffle=False``) it is the sample's
    index in the data set, also across processes (``counter * world_size +
    rank``, as ``RISMetric`` numbers its masks).

    The visualizer draws in the main process only, so in a multi-process
    run each batch's samples are gathered there to be drawn (mmseg draws the
    main process's share only), but for the samples the sampler repeats to
    give each process as many (index past the data set's end): each sample
    is drawn once. This needs as many batches in each process, as
    mmengine's ``DefaultSampler`` gives (``round_up=True``, its default);
    other samplers are refused with a UsageError. Arguments are those of
    ``SegVisualizationHook``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seen = 0

    def before_val_epoch(self, runner) -> None:
        self._before_epoch(runner, 'val')

    def before_test_epoch(self, runner) -> None:
        self._before_epoch(runner, 'test')

    def _before_epoch(self, runner, mode: str) -> None:
        self._seen = 0
        _, world_size = get_dist_info()
        if self.draw is False or world_size == 1:
            return
        batches = all_gather_object(len(getattr(runner, f'{mode}_dataloader')))
        if len(set(batches)) > 1:
            raise UsageError(f'{mode}_dataloader.sampler gives the {world_size} processes '
                             f'{"/".join(map(str, batches))} batches, but RISVisualizationHook '
                             f'gathers each batch to draw it and needs as many in each; set it '
                             f"to dict(type='DefaultSampler', shuffle=False), which evens them "
                             f'out (round_up=True)')

    def _after_iter(self,
                    runner,
                    batch_idx: int,
                    data_batch: dict,
                    outputs: Sequence[SegDataSample],
                    mode: str = 'val') -> None:
        if self.draw is False or mode == 'train':
            return
        rank, world_size = get_dist_info()
        first, self._seen = self._seen, self._seen + len(outputs)
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        size = len(getattr(runner, f'{mode}_dataloader').dataset)
        indices = [(first + offset) * world_size + rank for offset in range(len(outputs))]
        samples = [(sample_name(output.img_path, index, output.metainfo.get('text')), output.cpu())
                   for index, output in zip(indices, outputs) if index < size]
        if world_size > 1:
            samples = [sample for share in all_gather_object(samples) for sample in share]
        if rank > 0:
            return
        for name, output in samples:
            img_bytes = fileio.get(output.img_path, backend_args=self.backend_args)
            img = mmcv.imfrombytes(img_bytes, channel_order='rgb')
            self._visualizer.add_datasample(name, img, data_sample=output, show=self.show,
                                            wait_time=self.wait_time, step=runner.iter)

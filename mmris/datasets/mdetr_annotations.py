"""A referring set's expressions written as MDETR-style COCO annotations.

mmdet's ``MDETRStyleRefCocoDataset`` and ``gRefCOCOMetric`` (generalized
referring detection) read one COCO file in which every *image* entry is one
expression (``caption``) on its picture, and its annotations are the boxes
of the expression's targets, or one annotation of ``category_id`` -1 (box
``[0, 0, 0, 0]``) for an expression that names nothing. MDETR ships such
files for gRefCOCO; :func:`write_mdetr_annotations` writes them from any
referring data set of mmris in ``test`` mode (e.g. a
:class:`GRefCOCODataset` split), so box predictions are scored by mmdet's
metric unchanged.
"""
import json
import os
import os.path as osp


def write_mdetr_annotations(dataset, out_file: str, dataset_name: str = 'grefcoco') -> dict:
    """Write ``out_file`` from ``dataset`` (``test`` mode: one entry per
    expression, each with ``text``, ``img_path``, ``height``, ``width`` and
    ``instances``, boxes x1 y1 x2 y2). Expression ``i`` becomes image id
    ``i + 1``.

    Returns:
        dict: ``expressions`` and ``no-target`` counts.
    """
    images, annotations, no_target = [], [], 0
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        image_id = index + 1
        images.append(dict(id=image_id, file_name=osp.basename(info['img_path']),
                           height=info['height'], width=info['width'], caption=info['text'],
                           dataset_name=dataset_name))
        boxes = [instance['bbox'] for instance in info.get('instances', [])]
        if not boxes:
            no_target += 1
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id, category_id=-1,
                                    bbox=[0, 0, 0, 0], area=0, iscrowd=0))
        for x1, y1, x2, y2 in boxes:
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id, category_id=1,
                                    bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                                    iscrowd=0))
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with open(out_file, 'w') as file:
        json.dump(dict(images=images, annotations=annotations,
                       categories=[dict(id=1, name='object')]), file)
    return {'expressions': len(images), 'no-target': no_target}

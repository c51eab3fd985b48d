"""Overrides that shrink the shipped configs to tiny towers on 64-pixel
inputs, keeping every code path, and the pipeline edits that go with them."""

# Tiny text tower and Bridger of every Bridger backbone config (no CLIP file).
TINY_BRIDGED = {
    'model.backbone.clip_weights': None,
    'model.backbone.text_encoder.width': 32,
    'model.backbone.text_encoder.layers': 3,
    'model.backbone.text_encoder.heads': 2,
    'model.backbone.text_encoder.embed_dim': 32,
    'model.backbone.bridger.d_model': 16,
    'model.backbone.bridger.interactor.num_heads': 2,
}
# Overrides that shrink the ETRIS configs to a few thousand-wide layers on a
# 64x64 input, keeping every code path (same classes, stages and strides).
TINY_ETRIS = {
    'model.data_preprocessor.size': (64, 64),
    **TINY_BRIDGED,
    'model.neck.text_channels': 32,
    'model.neck.channels': 32,
    'model.neck.num_heads': 2,
    'model.decode_head.in_channels': 32,
    'model.decode_head.text_channels': 32,
    'model.decode_head.channels': 16,
    'model.decode_head.decoder.num_layers': 1,
    'model.decode_head.decoder.num_heads': 2,
    'model.decode_head.decoder.ffn_channels': 32,
}
TINY_VISION = {
    'vitb': {'input_size': 64, 'width': 32, 'layers': 3, 'heads': 2, 'output_dim': 32},
    'rn50': {'layers': (1, 1, 1, 1), 'width': 8, 'output_dim': 32, 'heads': 2, 'pretrain_size': 64},
    'rn101': {'layers': (1, 1, 2, 1), 'width': 8, 'output_dim': 32, 'heads': 2, 'pretrain_size': 64},
}
# The widths of ETRIS' three maps (out_indices (1, 2, -1)) of each tiny tower,
# for the neck: the ViT's width, or the ResNet's stage channels (width * 8,
# width * 16), and output_dim.
TINY_MAPS = {'vitb': [32, 32, 32], 'rn50': [64, 128, 32], 'rn101': [64, 128, 32]}


def letterbox_to_64(cfg) -> None:
    """Make every RISLetterbox of ``cfg``'s pipelines produce 64 x 64."""
    pipelines = [cfg.train_pipeline, cfg.test_pipeline,
                 *(cfg[loader].dataset.pipeline for loader in
                   ('train_dataloader', 'val_dataloader', 'test_dataloader'))]
    for pipeline in pipelines:
        for step in pipeline:
            if step['type'].split('.')[-1] == 'RISLetterbox':
                step['size'] = 64


def shrink_pipelines(cfg, size: int = 64) -> None:
    """Make every resize, crop and pad step of ``cfg``'s pipelines work at
    about ``size`` pixels (in place)."""
    pipelines = [cfg[key] for key in ('train_pipeline', 'test_pipeline') if key in cfg]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        stack = [cfg[loader].dataset]
        while stack:
            dataset = stack.pop()
            stack += dataset.get('datasets', [])
            if 'pipeline' in dataset:
                pipelines.append(dataset.pipeline)
    for pipeline in pipelines:
        for step in pipeline:
            if 'scale' in step:
                step['scale'] = (2 * size, size)
            if 'crop_size' in step:
                step['crop_size'] = (size, size)
            if step['type'].split('.')[-1] == 'Pad':
                step['size'] = (size, size)


def tiny_vision_options(name: str) -> dict:
    """Overrides of the tiny vision tower for a config named in mmdet's or
    mmseg's convention (``...-rn50_...`` or ``...-vitb16_...``)."""
    return {f'model.backbone.vision_encoder.{k}': v
            for k, v in TINY_VISION[tiny_backbone_name(name)].items()}


def tiny_backbone_name(name: str) -> str:
    """The key of :data:`TINY_VISION` for a config named in mmdet's or
    mmseg's convention."""
    return 'rn50' if '-rn50_' in name else 'vitb'

"""ETRISClassifier built from the demo config: what trains, the three
forward modes, and that a training step fits the batch better."""
import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement

from mmris.registry import MODELS


def build(cls_demo_config, **backbone):
    cfg = Config.fromfile(cls_demo_config)
    cfg.model.backbone.update(backbone)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def test_only_the_bridger_positions_and_logit_scale_train(cls_demo_config):
    model = build(cls_demo_config)
    trainable = {name for name, param in model.named_parameters() if param.requires_grad}
    assert {'head.logit_scale', 'backbone.vision_encoder.positional_embedding',
            'backbone.text_encoder.positional_embedding'} <= trainable
    assert all(name.startswith('backbone.bridger.') for name in trainable - {
        'head.logit_scale', 'backbone.vision_encoder.positional_embedding',
        'backbone.text_encoder.positional_embedding'})
    frozen = build(cls_demo_config, bridger=None)
    assert {name for name, param in frozen.named_parameters() if param.requires_grad} == {
        'head.logit_scale', 'backbone.vision_encoder.positional_embedding',
        'backbone.text_encoder.positional_embedding'}


def test_modes_and_one_step_lowers_the_loss_on_its_batch(cls_demo_config):
    model = build(cls_demo_config)
    labels = [0, 3, 5, 7]
    data = dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in labels],
                data_samples=[BaseDataElement(gt_label=torch.tensor([k])) for k in labels])
    batch = model.data_preprocessor(data, training=True)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model.train()
    before = model(**batch, mode='loss')['loss_cls']
    before.backward()
    optimizer.step()
    after = model(**batch, mode='loss')['loss_cls']
    assert float(after.detach()) < float(before.detach())

    model.eval()
    with torch.no_grad():
        logits = model(batch['inputs'], mode='tensor')
        predictions = model(**batch, mode='predict')
    assert logits.shape == (4, 8)
    assert [int(sample.pred_label) for sample in predictions] == logits.argmax(1).tolist()

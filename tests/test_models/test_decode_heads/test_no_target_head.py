"""NoTargetHead alone and inside ETRIS: its loss, and a no-target answer
switching the predicted mask to empty."""
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmris.datasets.transforms import letterbox_matrices
from mmris.models import NoTargetHead
from mmris.models.utils import BridgedFeatures, TextFeatures
from mmris.registry import MODELS

DEMO = 'configs/demo/etris_tiny_synthetic_grefcoco_no-target-head.py'


def features(batch=3, channels=8, sentence=6):
    torch.manual_seed(0)
    return BridgedFeatures([torch.randn(batch, channels, 5, 7)],
                           TextFeatures(embeddings=torch.randn(batch, sentence)))


def samples(flags, size=128, ori_shape=(40, 60)):
    result = []
    for flag in flags:
        mask = torch.zeros(1, size, size)
        if not flag:
            mask[:, 10:60, 20:90] = 1
        meta = dict(text='the red circle', ori_shape=ori_shape, img_shape=(size, size),
                    inverse_affine_matrix=letterbox_matrices(ori_shape, size)[1])
        if flag is not None:
            meta['no_target'] = flag
        result.append(SegDataSample(metainfo=meta, gt_sem_seg=PixelData(data=mask)))
    return result


def test_loss_is_bce_against_the_no_target_flags():
    head = NoTargetHead(in_channels=8, text_channels=6, channels=16, loss_weight=0.5)
    feats = features()
    logits = head(feats)
    assert logits.shape == (3,)
    loss = head.loss(feats, samples([True, False, None]))['loss_no_target']
    # the third sample has no flag: its non-empty mask makes it targeted
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, torch.tensor([1., 0., 0.]))
    assert loss.item() == pytest.approx(0.5 * expected.item())


@pytest.fixture(scope='module')
def demo_model():
    cfg = Config.fromfile(DEMO)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def set_answer(model, logit):
    """Make the head answer ``logit`` (positive: no target) whatever the input."""
    last = model.no_target_head.mlp[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(logit)


def test_a_no_target_answer_empties_the_mask(demo_model):
    inputs = torch.randn(2, 3, 128, 128)
    demo_model.test_cfg['mask_threshold'] = -1.0  # the mask head alone: whole-image masks
    with torch.no_grad():
        set_answer(demo_model, -20.0)
        kept = demo_model.predict(inputs, samples([False, True]))
        set_answer(demo_model, 20.0)
        emptied = demo_model.predict(inputs, samples([False, True]))
    demo_model.test_cfg['mask_threshold'] = 0.35
    for sample in kept:
        assert sample.pred_no_target is False and sample.no_target_score < 1e-6
        assert sample.pred_sem_seg.data.shape == (1, 40, 60)
        assert sample.pred_sem_seg.data.all()
    for sample in emptied:
        assert sample.pred_no_target is True and sample.no_target_score > 1 - 1e-6
        assert sample.pred_sem_seg.data.shape == (1, 40, 60)
        assert not sample.pred_sem_seg.data.any()


def test_etris_trains_the_head_beside_the_mask(demo_model):
    demo_model.train()
    losses = demo_model.loss(torch.randn(2, 3, 128, 128), samples([False, True]))
    demo_model.eval()
    assert set(losses) == {'loss_mask', 'loss_no_target'}
    losses['loss_no_target'].backward()
    assert demo_model.no_target_head.mlp[0].weight.grad is not None


def test_without_the_head_etris_is_unchanged():
    cfg = Config.fromfile('configs/demo/etris_tiny_synthetic_grefcoco.py')
    model = MODELS.build(cfg.model)
    assert model.no_target_head is None
    losses = model.loss(torch.randn(2, 3, 128, 128), samples([False, True]))
    assert set(losses) == {'loss_mask'}


def train_three_steps(config, detach=None):
    """The parameters of ``config``'s model after three training steps
    (``model.train_step``, the config's optimizer) on fixed batches."""
    cfg = Config.fromfile(config)
    if detach is not None:
        cfg.model.no_target_head.detach = detach
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    generator = torch.Generator().manual_seed(1)
    for flags in ([False, True], [True, False], [False, False]):
        images = [torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8, generator=generator)
                  for _ in flags]
        model.train_step(dict(inputs=images, data_samples=samples(flags)), optim_wrapper)
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def test_a_detached_head_leaves_the_rest_of_the_model_as_trained_without_it():
    """With ``detach=True`` the model with the head is, after training, the
    model without it plus the head, bit for bit (what gres_demo.py relies on
    to test one training both ways); with ``detach=False`` the head's loss
    also trains the neck."""
    without = train_three_steps('configs/demo/etris_tiny_synthetic_grefcoco.py')
    detached = train_three_steps(DEMO, detach=True)
    attached = train_three_steps(DEMO, detach=False)
    assert set(detached) - set(without) == {
        name for name in detached if name.startswith('no_target_head.')}
    changed = [name for name in without if not torch.equal(without[name], detached[name])]
    assert changed == []
    changed = [name for name in without if not torch.equal(without[name], attached[name])]
    assert any(name.startswith('neck.') for name in changed)

"""init_model and inference_model on a tiny ETRIS."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import save_checkpoint

from mmris.apis import inference_model, init_model
from mmris.utils import CheckpointError


@pytest.fixture
def tiny_checkpoint(tmp_path, tiny_config):
    cfg = tiny_config('vitb')
    model = init_model(cfg)
    path = tmp_path / 'tiny.pth'
    save_checkpoint(model.state_dict(), str(path))
    return cfg, model, path


def test_checkpoint_round_trip_and_inference(tmp_path, tiny_checkpoint):
    cfg, source, path = tiny_checkpoint
    model = init_model(cfg, str(path), device='cpu')
    assert not model.training
    for key, value in source.state_dict().items():
        assert torch.equal(value, model.state_dict()[key]), key

    image = (np.random.default_rng(0).random((45, 70, 3)) * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / 'image.png'), image)
    from_file = inference_model(model, str(tmp_path / 'image.png'), 'the red circle')
    from_array = inference_model(model, image, 'the red circle')
    assert from_file.pred_sem_seg.data.shape == (1, 45, 70)
    assert torch.equal(from_file.pred_prob.data, from_array.pred_prob.data)
    assert from_file.metainfo['text'] == 'the red circle'

    several = inference_model(model, image, ['the red circle', 'the blue square', 'left'])
    assert [r.metainfo['text'] for r in several] == ['the red circle', 'the blue square', 'left']
    assert torch.allclose(several[0].pred_prob.data, from_array.pred_prob.data, atol=1e-5)


def test_checkpoint_that_does_not_fit_names_the_keys(tmp_path, tiny_checkpoint):
    cfg, model, _ = tiny_checkpoint
    state = model.state_dict()
    state['neck.extra.weight'] = torch.zeros(1)
    del state['decode_head.text_proj.bias']
    path = tmp_path / 'bad.pth'
    save_checkpoint(state, str(path))
    with pytest.raises(CheckpointError, match="decode_head.text_proj.bias") as error:
        init_model(cfg, str(path))
    assert 'neck.extra.weight' in str(error.value)


def test_empty_expression_is_refused(tiny_checkpoint):
    _, model, _ = tiny_checkpoint
    image = np.zeros((20, 20, 3), np.uint8)
    with pytest.raises(ValueError, match='expression'):
        inference_model(model, image, '   ')
    with pytest.raises(ValueError, match='at least one expression'):
        inference_model(model, image, [])


def test_safetensors_checkpoint(tmp_path, tiny_checkpoint):
    from mmris.checkpoint.safetensors_file import save_safetensors
    cfg, source, _ = tiny_checkpoint
    path = tmp_path / 'tiny.safetensors'
    save_safetensors(source.state_dict(), str(path))
    model = init_model(cfg, str(path))
    for key, value in source.state_dict().items():
        assert torch.equal(value, model.state_dict()[key]), key

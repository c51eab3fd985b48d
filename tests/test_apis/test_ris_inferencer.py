"""RISInferencer on a tiny ETRIS: inputs, batching, files written, errors."""
import json

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import save_checkpoint
from mmseg.structures import SegDataSample
from pycocotools import mask as mask_utils

from mmris.apis import RISInferencer, inference_model
from mmris.apis.ris_inferencer import CONFIG_ROOT, find_config
from mmris.registry import INFERENCERS
from mmris.utils import CheckpointError


@pytest.fixture
def tiny_files(tmp_path, tiny_model_files):
    """A tiny vitb config file, its checkpoint, and two images (paths)."""
    config, checkpoint, _ = tiny_model_files
    rng = np.random.default_rng(0)
    images = []
    for name, shape in (('scene.png', (45, 70, 3)), ('other.jpg', (60, 38, 3))):
        path = tmp_path / name
        cv2.imwrite(str(path), (rng.random(shape) * 255).astype(np.uint8))
        images.append(str(path))
    return config, checkpoint, images


@pytest.fixture
def inferencer(tiny_files):
    config, checkpoint, _ = tiny_files
    return RISInferencer(config, weights=checkpoint, device='cpu')


def test_several_expressions_on_one_image(inferencer, tiny_files):
    _, _, (scene, _) = tiny_files
    texts = ['the red circle', 'the square on the left', 'sky']
    result = inferencer(scene, texts)
    predictions = result['predictions']
    assert [p['text'] for p in predictions] == texts
    assert result['visualization'] == []
    reference = inference_model(inferencer.model, scene, texts)
    for prediction, sample in zip(predictions, reference):
        assert prediction['image_index'] == 0
        assert prediction['mask'].shape == (45, 70) and prediction['mask'].dtype == np.uint8
        assert set(np.unique(prediction['mask'])) <= {0, 1}
        assert prediction['prob'].shape == (45, 70) and prediction['prob'].dtype == np.float32
        np.testing.assert_array_equal(prediction['mask'], sample.pred_sem_seg.data[0].numpy())
        np.testing.assert_allclose(prediction['prob'], sample.pred_prob.data[0].numpy(),
                                   atol=1e-5)

    # The same image as a BGR array; a single str expression.
    from_array = inferencer(cv2.imread(scene), texts[0])['predictions']
    assert len(from_array) == 1
    np.testing.assert_allclose(from_array[0]['prob'], predictions[0]['prob'], atol=1e-5)


def test_list_of_pairs_in_batches_of_two(inferencer, tiny_files):
    _, _, (scene, other) = tiny_files
    pairs = [(scene, 'the red circle'), (cv2.imread(other), ['left', 'the big one']),
             (other, ['top'])]
    batched = inferencer(pairs, batch_size=2)['predictions']
    single = inferencer(pairs, batch_size=1)['predictions']
    assert [(p['text'], p['image_index']) for p in batched] == \
        [('the red circle', 0), ('left', 1), ('the big one', 1), ('top', 2)]
    assert [p['mask'].shape for p in batched] == [(45, 70), (60, 38), (60, 38), (60, 38)]
    for one, other_one in zip(batched, single):
        np.testing.assert_allclose(one['prob'], other_one['prob'], atol=1e-5)

    # A list of images shares the expressions; data samples on request.
    samples = inferencer([scene, other], ['a', 'b'], batch_size=2,
                         return_datasamples=True)['predictions']
    assert len(samples) == 4 and all(isinstance(s, SegDataSample) for s in samples)
    assert [s.metainfo['text'] for s in samples] == ['a', 'b', 'a', 'b']
    assert samples[2].pred_sem_seg.data.shape == (1, 60, 38)


def test_pictures_and_json_are_written(inferencer, tiny_files, tmp_path):
    _, _, (scene, other) = tiny_files
    out_dir = tmp_path / 'out'
    result = inferencer([(scene, ['the red circle', 'left']), (other, 'top'),
                         (scene, 'again')],
                        out_dir=str(out_dir), save_vis=True, save_json=True, batch_size=2)
    predictions = result['predictions']
    assert len(result['visualization']) == 4
    assert all(v.ndim == 3 and v.shape[2] == 3 and v.dtype == np.uint8
               for v in result['visualization'])
    pictures = sorted(p.name for p in (out_dir / 'vis').iterdir())
    # The second scene.png input gets its own name.
    assert pictures == ['other_0.png', 'scene_0.png', 'scene_1.png', 'scene_1_0.png']
    drawn = cv2.imread(str(out_dir / 'vis' / 'scene_0.png'))
    assert drawn.shape == result['visualization'][0].shape

    assert sorted(p.name for p in (out_dir / 'preds').iterdir()) == \
        ['other.json', 'scene.json', 'scene_1.json']
    record = json.loads((out_dir / 'preds' / 'scene.json').read_text())
    assert record['image'] == scene and (record['height'], record['width']) == (45, 70)
    assert [e['text'] for e in record['expressions']] == ['the red circle', 'left']
    for expression, prediction in zip(record['expressions'], predictions[:2]):
        assert isinstance(expression['mask']['counts'], str)
        decoded = mask_utils.decode(dict(size=expression['mask']['size'],
                                         counts=expression['mask']['counts'].encode()))
        np.testing.assert_array_equal(decoded, prediction['mask'])
        assert expression['area'] == int(prediction['mask'].sum())

    # Array inputs are numbered; save_vis and save_json need out_dir.
    inferencer(np.zeros((20, 30, 3), np.uint8), 'x', out_dir=str(tmp_path / 'arrays'),
               save_json=True)
    assert len(list((tmp_path / 'arrays' / 'preds').glob('0000000*.json'))) == 1
    with pytest.raises(ValueError, match='out_dir'):
        inferencer(scene, 'x', save_vis=True)


def test_threshold(inferencer, tiny_files):
    _, _, (scene, _) = tiny_files
    prediction = inferencer(scene, 'the red circle', threshold=0.5)['predictions'][0]
    np.testing.assert_array_equal(prediction['mask'], (prediction['prob'] > 0.5))
    with pytest.raises(ValueError, match='threshold'):
        inferencer(scene, 'x', threshold=1.5)


def test_bad_inputs_are_explained(inferencer, tiny_files, tmp_path):
    _, _, (scene, _) = tiny_files
    with pytest.raises(ValueError, match='needs expressions'):
        inferencer(scene)
    with pytest.raises(ValueError, match='non-empty str'):
        inferencer(scene, ['ok', '  '])
    with pytest.raises(ValueError, match='at least one expression'):
        inferencer(scene, [])
    with pytest.raises(ValueError, match='must be None'):
        inferencer([(scene, 'a')], expressions='b')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        inferencer(str(tmp_path / 'missing.png'), 'a')
    with pytest.raises(ValueError, match=r'\(H, W, 3\) uint8'):
        inferencer(np.zeros((10, 10), np.uint8), 'a')


def test_weights_that_do_not_fit_name_the_keys(tiny_files, tmp_path):
    config, checkpoint, _ = tiny_files
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)
    state['neck.extra.weight'] = torch.zeros(1)
    del state['decode_head.text_proj.bias']
    bad = tmp_path / 'bad.pth'
    save_checkpoint(state, str(bad))
    with pytest.raises(CheckpointError, match="decode_head.text_proj.bias") as error:
        RISInferencer(config, weights=str(bad), device='cpu')
    assert 'neck.extra.weight' in str(error.value)
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        RISInferencer(config, weights=str(tmp_path / 'nothing.pth'), device='cpu')
    with pytest.raises(FileNotFoundError, match='nothing.onnx.*tools/deployment/export_onnx.py'):
        RISInferencer(config, weights=str(tmp_path / 'nothing.onnx'), backend='onnxruntime')
    exported = tmp_path / 'model.onnx'
    exported.write_bytes(b'')
    with pytest.raises(ValueError, match=r"model.onnx' is an exported ONNX network; run it with "
                       r"backend='onnxruntime'"):
        RISInferencer(config, weights=str(exported), device='cpu')


def test_compiled_network_gives_the_same_predictions(inferencer, tiny_files, tmp_path):
    """compile=True runs the backbone, neck and head through torch.compile: the
    same probabilities to rounding, so the same masks; not with ONNX Runtime."""
    config, checkpoint, (scene, other) = tiny_files
    compiled = RISInferencer(config, weights=checkpoint, device='cpu', compile=True)
    for part in ('backbone', 'neck', 'decode_head'):  # torch.compile's wrapper
        assert hasattr(getattr(compiled.model, part).forward, '_torchdynamo_orig_callable')
        assert not hasattr(getattr(inferencer.model, part).forward, '_torchdynamo_orig_callable')
    texts = ['the red circle', 'the square on the left']
    for image in (scene, other):
        expected = inferencer(image, texts)['predictions']
        got = compiled(image, texts)['predictions']
        for one, two in zip(expected, got, strict=True):
            np.testing.assert_allclose(two['prob'], one['prob'], atol=1e-4)
            unsure = np.abs(one['prob'] - 0.35) < 1e-4  # rounding may flip these
            np.testing.assert_array_equal(two['mask'][~unsure], one['mask'][~unsure])
    with pytest.raises(ValueError, match='compile applies to the pytorch backend'):
        onnx_file = tmp_path / 'model.onnx'
        onnx_file.write_bytes(b'')
        RISInferencer(config, weights=str(onnx_file), backend='onnxruntime', compile=True)


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without CUDA')
def test_cuda_without_cuda_is_explained(tiny_files):
    config, checkpoint, _ = tiny_files
    with pytest.raises(RuntimeError, match='CUDA is not available'):
        RISInferencer(config, weights=checkpoint, device='cuda')


def test_config_names_and_registry(tiny_config):
    assert find_config('vitb_refcoco') == str(CONFIG_ROOT / 'etris' / 'vitb_refcoco.py')
    assert find_config('etris_tiny_synthetic_refcoco') == \
        str(CONFIG_ROOT / 'demo' / 'etris_tiny_synthetic_refcoco.py')
    with pytest.raises(FileNotFoundError, match='did you mean vitb_refcoco'):
        find_config('vitb_refcoc')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        find_config('configs/nothing.py')
    assert INFERENCERS.get('RISInferencer') is RISInferencer
    # Built from a Config object through the registry, without weights.
    with pytest.warns(UserWarning, match='no weights'):
        built = INFERENCERS.build(dict(type='RISInferencer', model=tiny_config('vitb'),
                                       device='cpu'))
    assert built(np.zeros((16, 24, 3), np.uint8), 'x')['predictions'][0]['mask'].shape == \
        (16, 24)

"""tools/demo/image_demo.py: a picture of several expressions, and refused input."""
import importlib.util
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import save_checkpoint

from mmris.utils import UsageError, UserError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def image_demo():
    """The tool as a module, to call its ``main(argv)`` in-process."""
    spec = importlib.util.spec_from_file_location('image_demo',
                                                  REPO / 'tools' / 'demo' / 'image_demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demo_files(tmp_path, tiny_model_files):
    config, checkpoint, state = tiny_model_files
    image = tmp_path / 'street.png'
    cv2.imwrite(str(image), (np.random.default_rng(1).random((48, 64, 3)) * 255).astype(np.uint8))
    return dict(config=config, checkpoint=checkpoint, image=str(image), state=state)


def test_draws_every_expression(run_tool, demo_files, tmp_path):
    out = tmp_path / 'pictures' / 'street_out.png'
    result = run_tool('demo/image_demo.py', demo_files['image'], 'the red car',
                      'the man on the left', demo_files['config'],
                      '--weights', demo_files['checkpoint'], '--out-file', out,
                      '--device', 'cpu', timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    # "<text>": mask area N px (P% of WxH), or "no match (0.0% of WxH)" for an empty mask
    lines = re.findall(r'^"(.+)": (?:mask area (\d+) px|no match) \(([\d.]+)% of 64x48\)$',
                       result.stdout, re.MULTILINE)
    areas = [(text, area or '0', percent) for text, area, percent in lines]
    assert [text for text, _, _ in areas] == ['the red car', 'the man on the left']
    # The areas are those of the masks the inferencer predicts for the same inputs.
    from mmris.apis import RISInferencer
    inferencer = RISInferencer(demo_files['config'], weights=demo_files['checkpoint'],
                               device='cpu')
    predictions = inferencer(demo_files['image'], [text for text, _, _ in areas])['predictions']
    assert [int(area) for _, area, _ in areas] == \
        [int(prediction['mask'].sum()) for prediction in predictions]
    for _, area, percent in areas:
        assert float(percent) == pytest.approx(100 * int(area) / (64 * 48), abs=0.06)
    assert result.last_line == f'wrote {out}'
    picture = cv2.imread(str(out))
    assert picture is not None
    # Two panels side by side, each at least as large as the image.
    assert picture.shape[0] >= 48 and picture.shape[1] >= 2 * 64


def test_refused_input_exits_with_one_line(run_tool, demo_files, tmp_path):
    result = run_tool('demo/image_demo.py', demo_files['image'], demo_files['config'],
                      '--weights', demo_files['checkpoint'], '--out-file', tmp_path / 'o.png')
    assert result.returncode == 2
    assert result.last_line.startswith('error: no expression given; the order is IMG '
                                       'EXPRESSION [EXPRESSION ...] CONFIG')
    assert not (tmp_path / 'o.png').exists()


def test_bad_arguments_are_explained(image_demo, demo_files, tmp_path):
    image, config, checkpoint = demo_files['image'], demo_files['config'], \
        demo_files['checkpoint']
    out = ['--weights', checkpoint, '--out-file', str(tmp_path / 'o.png')]

    def error(*argv) -> str:
        with pytest.raises(UserError) as caught:
            image_demo.main([*argv])
        return str(caught.value)

    # CONFIG missing (the last expression is taken for it) or misspelt.
    message = error(image, 'the red car', 'the bus', *out)
    assert "CONFIG (the last positional argument) 'the bus' is not a config" in message
    assert 'did you mean vitb_refcoco' in error(image, 'a car', 'vitb_refcoc', *out)
    # CONFIG first, as tools/test.py has it.
    assert 'CONFIG must come last' in error(image, config, 'a car', config, *out)
    assert 'is a config file' in error(config, 'a car', config, *out)
    assert 'does not exist' in error(str(tmp_path / 'missing.png'), 'a car', config, *out)
    assert 'an expression is empty' in error(image, ' ', config, *out)
    assert '--out-file' in error(image, 'a car', config, '--weights', checkpoint,
                                 '--out-file', str(tmp_path / 'o.txt'))
    assert '--threshold 1.5 must be in [0, 1)' in error(image, 'a car', config, *out,
                                                        '--threshold', '1.5')
    assert 'not a device' in error(image, 'a car', config, *out, '--device', 'gpu')
    assert "checkpoint '" in error(image, 'a car', config, '--weights',
                                   str(tmp_path / 'nothing.pth'), '--out-file', 'o.png')
    assert 'trian_cfg' in error(image, 'a car', config, *out, '--cfg-options',
                                'trian_cfg.max_iters=1')

    # Weights of another model: the keys are named.
    state = dict(demo_files['state'])
    state['neck.extra.weight'] = torch.zeros(1)
    del state['decode_head.text_proj.bias']
    save_checkpoint(state, str(tmp_path / 'bad.pth'))
    message = error(image, 'a car', config, '--weights', str(tmp_path / 'bad.pth'),
                    '--out-file', str(tmp_path / 'o.png'))
    assert 'does not fit the model of this config' in message
    assert 'neck.extra.weight' in message and 'decode_head.text_proj.bias' in message
    assert not (tmp_path / 'o.png').exists()


def test_a_parameter_efficient_checkpoint_takes_its_clip_file_from_cfg_options(
        image_demo, demo_files, tmp_path, tiny_config, clip_weights_writer, capsys):
    """Without the CLIP file it was trained on, the checkpoint is refused in
    one line that gives the option; with it, the towers are restored."""
    from mmris.apis import init_model
    from mmris.checkpoint.parameter_efficient import make_parameter_efficient
    cfg = tiny_config('vitb')
    clip = clip_weights_writer(cfg, tmp_path / 'clip.pt', seed=3)
    cfg.model.backbone.clip_weights = clip
    model = init_model(cfg)
    model.init_weights()  # the towers from the CLIP file, as training starts
    towers = [key for key in model.state_dict() if key.startswith('backbone.vision_encoder.')
              and key.endswith('.attn.in_proj_weight')]
    assert towers
    save_checkpoint(model.state_dict(), str(tmp_path / 'full.pth'))
    checkpoint = make_parameter_efficient(dict(state_dict=dict(model.state_dict()), meta={}),
                                          towers, cfg.model)
    torch.save(checkpoint, tmp_path / 'pet.pth')
    argv = [demo_files['image'], 'a car', demo_files['config'], '--weights',
            str(tmp_path / 'pet.pth'), '--out-file', str(tmp_path / 'o.png')]
    with pytest.raises(UserError, match=r'trained on other frozen weights .* \(--cfg-options '
                       rf'model.backbone.clip_weights={re.escape(clip)}\)'):
        image_demo.main(argv)
    image_demo.main([*argv, '--cfg-options', f'model.backbone.clip_weights={clip}'])
    area = int(re.search(r'mask area (\d+) px|no match', capsys.readouterr().out).group(1) or 0)
    # What the full checkpoint of the same model predicts.
    from mmris.apis import RISInferencer
    full = RISInferencer(cfg, weights=str(tmp_path / 'full.pth'), device='cpu')
    assert area == int(full(demo_files['image'], ['a car'])['predictions'][0]['mask'].sum())


@pytest.mark.parametrize('case', ['zero-byte image', 'not an image', 'damaged weights',
                                  'unwritable --out-file', 'long expression'])
def test_everyday_mistakes_end_in_one_line(run_tool, demo_files, tmp_path, case):
    image, weights, out = demo_files['image'], demo_files['checkpoint'], tmp_path / 'o.png'
    expression = 'the red car'
    if case == 'zero-byte image':
        image = tmp_path / 'empty.png'
        image.write_bytes(b'')
        expected = f"error: image '{image}' is empty (0 bytes)"
    elif case == 'not an image':
        image = tmp_path / 'notes.jpg'
        image.write_text('these are notes, not a picture')
        expected = f"error: image '{image}' could not be decoded as an image (30 bytes)"
    elif case == 'damaged weights':
        weights = tmp_path / 'damaged.pth'
        weights.write_bytes(Path(demo_files['checkpoint']).read_bytes()[:1000])
        expected = f"error: checkpoint '{weights}' (--weights) could not be read"
    elif case == 'unwritable --out-file':
        (tmp_path / 'a_file').write_text('')
        out = tmp_path / 'a_file' / 'o.png'
        expected = f"error: --out-file '{out}' cannot be written: '{tmp_path / 'a_file'}' is a " \
                   'file, not a folder'
    else:
        expression = ' '.join(['the man on the left of the red car'] * 4)
        expected = f'wrote {out}'
    result = run_tool('demo/image_demo.py', image, expression, demo_files['config'],
                      '--weights', weights, '--out-file', out, '--device', 'cpu')
    assert result.last_line.startswith(expected), result.stdout[-3000:]
    assert 'Traceback' not in result.stdout
    if case == 'long expression':
        assert result.returncode == 0
        assert re.search(r'has 36 tokens, but the model reads 15 .* only its first 15 tokens '
                         r'were kept', result.stdout)
    else:
        assert result.returncode == 2


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without CUDA')
def test_cuda_on_a_machine_without_it(image_demo, demo_files, tmp_path):
    with pytest.raises(UsageError, match='--device cuda: CUDA is not available on this '
                       'machine .*; use --device cpu'):
        image_demo.main([demo_files['image'], 'a car', demo_files['config'], '--weights',
                         demo_files['checkpoint'], '--out-file', str(tmp_path / 'o.png'),
                         '--device', 'cuda'])


def test_tile_pads_pictures_of_different_sizes(image_demo):
    pictures = [np.zeros((10, 20, 3), np.uint8), np.zeros((12, 15, 3), np.uint8),
                np.zeros((5, 5, 3), np.uint8), np.zeros((8, 8, 3), np.uint8)]
    grid = image_demo.tile(pictures, gap=2, max_columns=3)
    assert grid.shape == (2 * 12 + 2, 3 * 20 + 2 * 2, 3)
    assert (grid[:10, :20] == 0).all() and (grid[10:12, :20] == 255).all()

"""The Bridger backbone in vocabulary mode: class names as its text, images
as its only input (as stock mmseg and mmdet models call a backbone)."""
import pytest
import torch

from mmris.registry import MODELS

CLASSES = ['background', 'red circle', 'square', 'a long triangle with a hat']


def vocabulary_backbone(tiny_config, backbone='vitb', **options):
    cfg = tiny_config(backbone).model.backbone
    cfg.update(dict(dict(classes=CLASSES), **options))
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def text_tower(backbone, token_ids):
    """The frozen text tower run on its own: sentence features (N, D)."""
    text = backbone.text_encoder
    state = text.embed(token_ids)
    for stage in range(text.num_stages):
        state = text.forward_stage(stage, state)
    return text.finalize(state, token_ids)[1]


@pytest.mark.parametrize('backbone', ['vitb', 'rn50'])
@pytest.mark.parametrize('fusion', ['two_way', 'shared_text'])
def test_k_class_forward_shapes(tiny_config, backbone, fusion):
    model = vocabulary_backbone(tiny_config, backbone, vocabulary_fusion=fusion)
    with torch.no_grad():
        features = model(torch.randn(2, 3, 64, 64))
    assert features.text.embeddings.shape == (2, len(CLASSES), 32)
    assert features.text.class_names == tuple(CLASSES)
    resnet = backbone == 'rn50'
    expected = [(64, 8), (128, 4), (32, 2)] if resnet else [(32, 4), (32, 4), (32, 4)]
    assert [(m.shape[1], m.shape[-1]) for m in features] == expected
    # The Bridger adapts the class embeddings to each image.
    assert not torch.allclose(features.text.embeddings[0], features.text.embeddings[1])


def test_resnet_out_indices_give_strides_4_to_32(tiny_config):
    model = vocabulary_backbone(tiny_config, 'rn50', out_indices=(0, 1, 2, 3))
    with torch.no_grad():
        features = model(torch.randn(1, 3, 64, 64))
    width = 8  # the tiny ResNet's stem width: layer1..4 give 4, 8, 16, 32 times it
    assert [tuple(m.shape[1:]) for m in features] == [
        (4 * width, 16, 16), (8 * width, 8, 8), (16 * width, 4, 4), (32 * width, 2, 2)]


def test_one_unpadded_class_in_two_way_mode_is_the_expression_path(tiny_config):
    """With one class whose prompt fills all L tokens (no padding to mask),
    the vocabulary machinery must reduce to ETRIS' expression path."""
    model = vocabulary_backbone(tiny_config, templates=['{}'])
    prompt = ' '.join(['dog'] * 15)  # 15 words + start + end = 17 = L tokens
    model_one = vocabulary_backbone(tiny_config, templates=['{}'], classes=[prompt])
    model_one.load_state_dict(model.state_dict())
    ids = model_one.tokenize([prompt, prompt])
    assert bool((ids != 0).all())
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        vocabulary = model_one(images)
        expressions = model_one(images, ids)
    for got, want in zip(vocabulary, expressions):
        torch.testing.assert_close(got, want)
    torch.testing.assert_close(vocabulary.text.embeddings[:, 0], expressions.text.embeddings)


@pytest.mark.parametrize('fusion', ['two_way', 'shared_text'])
def test_padding_is_masked(tiny_config, fusion):
    """Prompts padded to the full token budget give the same outputs as the
    trimmed ones: padded words take no part."""
    model = vocabulary_backbone(tiny_config, vocabulary_fusion=fusion)
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        trimmed = model(images)
        model.prompt_ids = model.tokenize(
            [f'a photo of a {name}.' for name in CLASSES])  # padded to 17
        assert model.prompt_ids.shape[1] == 17 > trimmed.text.embeddings.shape[1]
        padded = model(images)
    for got, want in zip(padded, trimmed):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(padded.text.embeddings, trimmed.text.embeddings,
                               atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('fusion', ['two_way', 'shared_text'])
def test_class_order_only_reorders_the_embeddings(tiny_config, fusion):
    model = vocabulary_backbone(tiny_config, vocabulary_fusion=fusion)
    order = [2, 0, 3, 1]
    reordered = vocabulary_backbone(tiny_config, vocabulary_fusion=fusion,
                                    classes=[CLASSES[i] for i in order])
    reordered.load_state_dict(model.state_dict())
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        first, second = model(images), reordered(images)
    for got, want in zip(second, first):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(second.text.embeddings, first.text.embeddings[:, order],
                               atol=1e-5, rtol=1e-5)


def test_two_way_images_do_not_see_each_other(tiny_config):
    model = vocabulary_backbone(tiny_config, vocabulary_fusion='two_way')
    images = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        batch = model(images)
        alone = model(images[1:2])
    torch.testing.assert_close(batch.text.embeddings[1:2], alone.text.embeddings,
                               atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(batch[0][1:2], alone[0], atol=1e-5, rtol=1e-5)


def test_without_bridger_the_embeddings_are_the_frozen_prompt_features(tiny_config):
    """bridger=None (the frozen-CLIP baseline): every image gets the text
    tower's sentence features of the prompts, averaged over the templates."""
    templates = ['a photo of a {}.', 'a {} in a picture']
    model = vocabulary_backbone(tiny_config, bridger=None, templates=templates)
    assert not any(p.requires_grad for n, p in model.named_parameters()
                   if 'positional_embedding' not in n)
    with torch.no_grad():
        embeddings = model(torch.randn(2, 3, 64, 64)).text.embeddings
        expected = [text_tower(model, model.tokenize([t.format(name) for t in templates])).mean(0)
                    for name in CLASSES]
    torch.testing.assert_close(embeddings[0], torch.stack(expected), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(embeddings[1], embeddings[0])


def test_dataset_names_and_template_sets_resolve_through_mmseg(tiny_config):
    from mmseg.utils import get_classes, get_predefined_templates
    cfg = tiny_config('vitb').model.backbone
    model = MODELS.build(dict(cfg, classes='voc', templates='vild'))
    assert list(model.class_names) == get_classes('voc')
    assert list(model.templates) == get_predefined_templates('vild')
    assert model.prompt_ids.shape[0] == 21 * len(get_predefined_templates('vild'))


@pytest.mark.parametrize('name', ['mmdet.coco', 'mmdet.CocoDataset'])
def test_an_mmdet_class_list_is_that_of_mmdets_dataset(tiny_config, name):
    from mmdet.datasets import CocoDataset
    cfg = tiny_config('vitb').model.backbone
    model = MODELS.build(dict(cfg, classes=name))
    assert model.class_names == tuple(CocoDataset.METAINFO['classes'])
    assert len(model.class_names) == 80


@pytest.mark.parametrize('classes, message', [
    (['road', ''], "class name 1 is ''"),
    (['road', '   '], 'class name 1'),
    ([], 'classes is empty'),
    ('no-such-dataset', 'not a class list mmseg knows'),
    ('mmdet.no-such-dataset', 'not a class list mmdet knows'),
])
def test_bad_class_lists_are_refused(tiny_config, classes, message):
    cfg = tiny_config('vitb').model.backbone
    with pytest.raises(ValueError, match=message):
        MODELS.build(dict(cfg, classes=classes))


def test_bad_options_are_refused(tiny_config):
    cfg = tiny_config('vitb').model.backbone
    with pytest.raises(ValueError, match='has no "{}"'):
        MODELS.build(dict(cfg, classes=['a'], templates=['a photo']))
    with pytest.raises(ValueError, match='vocabulary_fusion'):
        MODELS.build(dict(cfg, classes=['a'], vocabulary_fusion='both'))
    with pytest.raises(ValueError, match='out_indices'):
        MODELS.build(dict(cfg, out_indices=(1, 5)))
    with pytest.raises(ValueError, match='out_indices is empty and out_pooled is False'):
        MODELS.build(dict(cfg, out_indices=()))
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match='no vocabulary'):
        model(torch.randn(1, 3, 64, 64))



@pytest.mark.parametrize('backbone', ['vitb', 'rn50'])
def test_out_pooled_gives_the_vision_towers_pooled_embedding(tiny_config, backbone):
    """Without a Bridger, ``.pooled`` is the frozen tower's own pooled
    embedding (maps may then be left out); the Bridger's corrections reach it."""
    images = torch.randn(2, 3, 64, 64)
    frozen = vocabulary_backbone(tiny_config, backbone, bridger=None, out_indices=(),
                                 out_pooled=True)
    assert frozen.pooled_channels == 32
    bridged = vocabulary_backbone(tiny_config, backbone, out_pooled=True)
    with torch.no_grad():
        features = frozen(images)
        vision = frozen.vision_encoder
        state = vision.embed(images)
        for stage in range(vision.num_stages):
            state = vision.forward_stage(stage, state)
        expected = vision.pooled(state)
        with_bridger = bridged(images)
    assert len(features) == 0
    torch.testing.assert_close(features.pooled, expected, atol=1e-5, rtol=1e-5)
    assert with_bridger.pooled.shape == (2, 32) and len(with_bridger) == 3
    assert with_bridger.with_maps(with_bridger[:1]).pooled is with_bridger.pooled  # necks keep it
    assert not torch.allclose(with_bridger.pooled, features.pooled)
    assert vocabulary_backbone(tiny_config, backbone)(images).pooled is None

"""ClassVocabularyHook: a model's class list against its data's, and COCO-format
annotation categories, which must name the vocabulary in its order or training
stops with both lists."""
import json
import logging
from types import SimpleNamespace

import pytest
from torch import nn

from mmris.engine import Runner
from mmris.engine.hooks import ClassVocabularyHook, check_annotation_categories


def runner_with(model_classes, data_classes):
    model = nn.Sequential(nn.Identity())
    model[0].class_names = model_classes
    dataset = SimpleNamespace(metainfo=dict(classes=data_classes))
    loader = SimpleNamespace(dataset=dataset)
    return SimpleNamespace(model=model, train_dataloader=loader, val_dataloader=loader,
                           test_dataloader=loader)


def test_a_class_list_of_another_length_names_both_lists():
    runner = runner_with(('road', 'car', 'tree'), ('road', 'car'))
    with pytest.raises(ValueError) as error:
        ClassVocabularyHook().before_train(runner)
    message = str(error.value)
    assert "['road', 'car', 'tree']" in message and "['road', 'car']" in message
    assert 'train_dataloader.dataset' in message
    with pytest.raises(ValueError, match='test_dataloader.dataset'):
        ClassVocabularyHook().before_test(runner)


def test_matching_lists_pass_and_renamed_classes_only_warn(mmengine_log):
    ClassVocabularyHook().before_val(runner_with(('road', 'car'), ('road', 'car')))
    assert mmengine_log == []
    ClassVocabularyHook().before_val(runner_with(('road', 'automobile'), ('road', 'car')))
    assert [record.levelno for record in mmengine_log] == [logging.WARNING]
    message = mmengine_log[0].getMessage()
    assert 'names its 2 classes differently from val_dataloader.dataset' in message
    assert "[('automobile', 'car')]" in message


def test_models_without_a_vocabulary_are_not_checked(mmengine_log):
    ClassVocabularyHook().before_train(runner_with(None, ('road', 'car')))
    assert mmengine_log == []


CONFIG = 'configs/etris_det/retinanet_etris-rn50_fpn_1x_custom-classes.py'
CLASSES = ('circle', 'square', 'triangle')


def _runner(tiny_det_config, write_coco_dataset, tmp_path, categories):
    cfg = tiny_det_config(CONFIG)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=2)
        write_coco_dataset(cfg[loader].dataset, tmp_path, categories)
    cfg.train_dataloader.pop('batch_sampler')
    cfg.val_evaluator.ann_file = str(tmp_path / 'annotations' / 'instances_val.json')
    cfg.train_cfg.update(max_epochs=1, val_interval=10)
    cfg.work_dir = str(tmp_path / 'work')
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize('categories, message', [
    (('circle', 'box', 'triangle'), "no category is named \\['square'\\]"),
    (('square', 'circle', 'triangle'),
     "in the order \\['square', 'circle', 'triangle'\\]"),
])
def test_categories_that_do_not_name_the_vocabulary_stop_training(
        categories, message, tiny_det_config, write_coco_dataset, tmp_path):
    runner = _runner(tiny_det_config, write_coco_dataset, tmp_path, categories)
    with pytest.raises(ValueError, match=message) as error:
        runner.train()
    text = str(error.value)
    assert f'annotation categories {list(categories)}' in text
    assert f'vocabulary {list(CLASSES)}' in text
    assert 'instances_train.json' in text


def test_matching_categories_pass(tiny_det_config, write_coco_dataset, tmp_path):
    runner = _runner(tiny_det_config, write_coco_dataset, tmp_path, CLASSES)
    check_annotation_categories(runner.train_dataloader.dataset, 'train_dataloader.dataset')


def test_datasets_without_categories_are_not_checked():
    class Plain:
        metainfo = dict(classes=('a', ))

    check_annotation_categories(Plain(), 'dataset')


def test_wrapped_datasets_are_checked_inside(tmp_path):
    ann_file = tmp_path / 'instances.json'
    ann_file.write_text(json.dumps(dict(categories=[dict(id=1, name='b')])))

    class Coco:
        metainfo = dict(classes=('a', ))
        cat_ids = []

    Coco.ann_file = str(ann_file)

    class Repeat:
        dataset = Coco()

    with pytest.raises(ValueError, match="no category is named \\['a'\\]"):
        check_annotation_categories(Repeat(), 'dataset')

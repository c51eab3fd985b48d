"""ClassVocabularyHook: a model's class list against its data's."""
from types import SimpleNamespace

import pytest
from torch import nn

from mmris.engine.hooks import ClassVocabularyHook


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


def test_matching_lists_pass_and_renamed_classes_only_warn(caplog):
    ClassVocabularyHook().before_val(runner_with(('road', 'car'), ('road', 'car')))
    ClassVocabularyHook().before_val(runner_with(('road', 'automobile'), ('road', 'car')))


def test_models_without_a_vocabulary_are_not_checked():
    ClassVocabularyHook().before_train(runner_with(None, ('road', 'car')))

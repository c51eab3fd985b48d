"""A checkpoint that does not fit the model is refused in one line that
counts and names what does not fit; the partial switch loads what fits."""
import pytest
import torch
from torch import nn

from mmris.checkpoint.model_fit import check_state_dict_fits, misfit
from mmris.utils import CheckpointError


def _model():
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))


def test_a_fitting_state_dict_passes():
    model = _model()
    check_state_dict_fits(_model().state_dict(), model, "'same.pth'")


def test_counts_and_names_what_does_not_fit():
    model = _model()
    state_dict = dict(model.state_dict())
    del state_dict['2.bias']
    state_dict['0.weight'] = torch.zeros(4, 2)
    state_dict['head.weight'] = torch.zeros(1)
    found = misfit(state_dict, model)
    assert found == dict(missing=['2.bias'], differ=['0.weight ((4, 2) vs (3, 2))'],
                         unexpected=['head.weight'])
    with pytest.raises(CheckpointError) as error:
        check_state_dict_fits(state_dict, model, "'other.pth'",
                              meta=dict(config_file='configs/other.py'))
    message = str(error.value)
    assert '\n' not in message
    assert message.startswith("checkpoint 'other.pth' (written with configs/other.py) does not "
                              "fit the model of this config: 1 of the model's 9 tensors are "
                              "missing [2.bias]; 1 differ in shape [0.weight ((4, 2) vs (3, 2))]; "
                              "1 are not in the model [head.weight]. ")
    assert 'load_from_partial=True' in message
    check_state_dict_fits(state_dict, model, "'other.pth'", partial=True)  # logs, no error


def test_keys_left_out_on_purpose_and_batch_counts_are_not_missing():
    model = _model()
    state_dict = {k: v for k, v in model.state_dict().items()
                  if k not in ('0.weight', '1.num_batches_tracked')}
    meta = dict(parameter_efficient=dict(omitted_keys=['0.weight']))
    check_state_dict_fits(state_dict, model, "'pet.pth'", meta=meta)
    with pytest.raises(CheckpointError, match=r'1 of the model\'s 9 tensors are missing \[0.weight\]\. '):
        check_state_dict_fits(state_dict, model, "'pet.pth'")

# The GRES demo's model with the no-target head: etris_tiny_synthetic_grefcoco.py
# plus a NoTargetHead on the neck's 64-channel map and the 64-wide sentence
# (docs/gres.md, `make demo-gres`). The head is detached: its loss trains it
# alone, so the rest of the model trains exactly as without it, and
# gres_demo.py tests the same training with the head taken out as the model
# without it.
_base_ = ['./etris_tiny_synthetic_grefcoco.py']
model = dict(no_target_head=dict(
    type='mmris.NoTargetHead', in_channels={{_base_.width}}, text_channels={{_base_.width}},
    channels=64, detach=True))

"""What the transformers image and text towers share as staged encoders."""
from typing import Dict, Optional, Sequence

from torch import nn

from .hf_pretrained import SubConfigs, TowerClasses, build_tower, load_pretrained_weights, tower_config
from .staged_encoder import StagedEncoder, split_into_stages


class HFStagedEncoder(StagedEncoder):
    """A transformers model run stage by stage (base of
    :class:`HFVisionEncoder` and :class:`HFTextEncoder`, which add the
    vision or text interface).

    The model (``self.model``) is built from ``config`` / ``pretrained`` (see
    :mod:`.hf_pretrained`); ``init_weights`` loads the directory's weights.
    Subclasses give the supported architectures (``towers``,
    ``sub_configs``) and, per model class, a layout with the attribute paths
    ``core`` (the module holding embeddings and blocks) and ``layers`` (the
    blocks, relative to ``core``). The model always runs in eval mode: a
    frozen tower gets no dropout or stochastic depth.

    Args:
        config (dict, optional): HF config fields with ``model_type``.
        pretrained (str, optional): Local HF model directory.
        num_stages (int): Stages the blocks are split into.
        fusion_layers (Sequence[int], optional): Last block (0-based) of
            each stage; equal stages when None.
        init_cfg (dict, optional): mmengine init config.
    """

    takes_openai_weights = False
    positional_embedding_keys = ('position_embedding', )  # also matches ..._embeddings
    towers: TowerClasses
    sub_configs: SubConfigs
    layouts: Dict[type, object]

    def __init__(self, config: Optional[dict], pretrained: Optional[str], num_stages: int,
                 fusion_layers: Optional[Sequence[int]], init_cfg=None):
        super().__init__(init_cfg)
        self.hf_config, model_class = tower_config(type(self).__name__, config, pretrained,
                                                   self.towers, self.sub_configs)
        self.model = build_tower(model_class, self.hf_config)
        self.layout = self.layouts[model_class]
        self.pretrained = pretrained
        self.stages = split_into_stages(len(self.layers), num_stages, fusion_layers)
        self.num_stages = num_stages
        self.stage_channels = (self.hf_config.hidden_size, ) * num_stages
        self.model.eval()

    @property
    def core(self) -> nn.Module:
        """The module holding the embeddings, blocks and norms."""
        return self.model.get_submodule(self.layout.core) if self.layout.core else self.model

    @property
    def layers(self) -> nn.ModuleList:
        return self.core.get_submodule(self.layout.layers)

    def init_weights(self) -> None:
        """Load the weights of ``pretrained``; without it the random
        initialisation from construction stays."""
        if self.pretrained:
            load_pretrained_weights(type(self).__name__, self.model, self.pretrained)
        self._is_init = True

    def train(self, mode: bool = True):
        super().train(mode)
        self.model.eval()
        return self

"""A frozen image encoder and text encoder run in lock-step with a Bridger."""
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmris.registry import MODELS
from mmris.utils.errors import CheckpointError

from ..encoders import load_clip_state_dict, split_clip_state_dict
from ..utils import BridgedFeatures, TextFeatures, checkpointed
from ..utils.class_vocabulary import class_prompts, resolve_class_names, resolve_templates

VOCABULARY_FUSIONS = ('two_way', 'shared_text')
#: How :meth:`BridgedDualEncoder._run` runs the text tower.
TEXT_RUNS = ('expressions', 'prompts', 'shared_prompts')


class TowerOutputs(NamedTuple):
    """What one run of both towers and the Bridger gives.

    Attributes:
        maps (list of Tensor): The selected maps (B, C_i, H_i, W_i).
        pooled (Tensor, optional): The pooled image embedding (B, D), None
            without ``out_pooled``.
        words (Tensor): Word features (N, L, C) of the N texts.
        sentence (Tensor): Sentence features (N, D).
    """

    maps: List[torch.Tensor]
    pooled: Optional[torch.Tensor]
    words: torch.Tensor
    sentence: torch.Tensor


@MODELS.register_module()
class BridgedDualEncoder(BaseModule):
    """ETRIS' backbone: two staged encoders and the Bridger between them.

    Both towers run stage by stage; after stage ``i`` of each, the Bridger
    (if it fuses that stage) adds corrections to both. The encoders are
    frozen except their positional embeddings (the reference's choice);
    ``freeze_positional_embedding=True`` freezes those too (strict PET).
    ``bridger=None`` gives the frozen towers without any fusion (a baseline).

    The backbone runs in one of two modes:

    - **Expressions** (referring segmentation): ``forward(images, token_ids)``
      with one text per image, tokenised by :meth:`tokenize`.
    - **Vocabulary** (semantic segmentation, detection, classification): the
      backbone owns ``classes`` and ``templates``, tokenised once, and
      ``forward(images)`` takes images only, as stock mmseg and mmdet models
      call a backbone. Every image is fused with all K * T class prompts, and
      the class embeddings are the prompt sentence features averaged over
      the T templates. ``vocabulary_fusion`` chooses how:

      - ``'two_way'`` (faithful): every prompt's words are updated per image,
        so the text tower runs B * K * T sequences.
      - ``'shared_text'`` (cheap): the text tower runs the K * T prompts once
        per batch; only the vision side is corrected per image, and the
        Bridger's text corrections of each image are summed into a per-image
        residual on the final word states (before ``ln_final`` and the
        projection). Padded words are masked in the Bridger in both.

    Outputs are selected by ``out_indices`` from the levels ``[embedding
    output, stage 0 output, ..., stage n-1 output, final output]`` (negative
    indices count from the end). The default ``(1, 2, -1)`` gives ETRIS' three
    maps (ViT-B/16 at 416: 768@26, 768@26, 512@26; RN50: 512@52, 1024@26,
    1024@13); ``(0, 1, 2, 3)`` gives a ResNet's strides 4, 8, 16 and 32
    (256, 512, 1024, 2048 channels for RN50), for FPN. ``out_pooled`` also
    outputs the vision tower's pooled image embedding, CLIP's image feature
    (ViT: the class token after ``ln_post`` and ``proj``; ResNet: OpenAI's
    attention-pool output), for heads that score whole images; with it,
    ``out_indices`` may be empty.

    Args:
        vision_encoder (dict): A :class:`VisionEncoder` config (CLIP ViT or
            ModifiedResNet).
        text_encoder (dict): A :class:`TextEncoder` config, owning its
            tokenizer (CLIP text).
        bridger (dict, optional): :class:`Bridger` config; ``vision_channels``
            and ``text_channels`` are filled in from the encoders.
        clip_weights (str, optional): CLIP weights (OpenAI's TorchScript
            archive, a state dict file or a Hugging Face CLIP directory)
            loaded by :meth:`init_weights` into the towers in OpenAI's
            layout (both, or the one paired with a transformers tower).
        freeze_positional_embedding (bool): Also freeze positional embeddings.
        norm_eval (bool): Keep the encoders' BatchNorm layers in eval mode
            while training, so that the frozen CLIP ResNet normalises with
            its released statistics and never updates them (mmdet's ResNet
            ``norm_eval``; the detection configs, whose batches are small).
            The reference (False) trains them in train mode: batch
            statistics, running statistics updated.
        out_indices (Sequence[int]): Levels to output (see above).
        out_pooled (bool): Also output the pooled image embedding.
        classes (str | Sequence[str], optional): The vocabulary: class names,
            or an mmseg dataset name (``'ade20k'``); ``None`` for expressions.
        templates (str | Sequence[str]): Prompt templates with ``{}`` for the
            class name, or an mmseg template set name (``'vild'``).
        vocabulary_fusion (str): ``'two_way'`` or ``'shared_text'``.
        with_cp (bool): Activation checkpointing of the towers' stages in
            training: a stage keeps only its input for backward and runs
            again when the gradient reaches it (less memory, about one more
            forward pass of the towers per step). BatchNorm running
            statistics are updated once per step all the same.
        init_cfg (dict, optional): mmengine init config.

    :meth:`forward` returns :class:`BridgedFeatures`: the selected maps, and
    as ``.text`` the sentence embeddings (B, D) with word features (B, L, C)
    and padding mask (B, L) for expressions, or the class embeddings
    (B, K, D) and class names for a vocabulary, and as ``.pooled`` the
    pooled image embedding (B, D) if ``out_pooled``, else None.

    Attributes (what it outputs, for the parts that follow it):
        out_channels (tuple of int): Channels of each selected map.
        text_channels (int): Channels of the text embeddings (D).
        word_channels (int): Channels of the word features (C).
        pooled_channels (int, optional): Channels of the pooled image
            embedding, None without ``out_pooled``.
        class_names (tuple of str, optional): The vocabulary.
    """

    def __init__(self, vision_encoder: dict, text_encoder: dict, bridger: Optional[dict],
                 clip_weights: Optional[str] = None, freeze_positional_embedding: bool = False,
                 norm_eval: bool = False, out_indices: Sequence[int] = (1, 2, -1),
                 out_pooled: bool = False,
                 classes: Optional[Union[str, Sequence[str]]] = None,
                 templates: Union[str, Sequence[str]] = ('a photo of a {}.', ),
                 vocabulary_fusion: str = 'two_way', with_cp: bool = False, init_cfg=None):
        super().__init__(init_cfg)
        self.vision_encoder = MODELS.build(vision_encoder)
        self.text_encoder = MODELS.build(text_encoder)
        vision, text = self.vision_encoder, self.text_encoder
        if vision.num_stages != text.num_stages:
            raise ValueError(
                f'the vision encoder has {vision.num_stages} stages and the text '
                f'encoder {text.num_stages}: set num_stages equal in both')
        self.bridger = None if bridger is None else MODELS.build(dict(
            bridger, vision_channels=vision.stage_channels,
            text_channels=text.stage_channels[0]))
        self.clip_weights = clip_weights
        self.freeze_positional_embedding = freeze_positional_embedding
        self.norm_eval = norm_eval
        self.freeze_encoders()
        self.register_load_state_dict_pre_hook(self._restore_missing_towers)

        level_channels = (vision.embed_channels, *vision.stage_channels, vision.output_dim)
        self.out_indices = self._check_out_indices(out_indices, len(level_channels), out_pooled)
        self.out_pooled = out_pooled
        if vocabulary_fusion not in VOCABULARY_FUSIONS:
            raise ValueError(f'vocabulary_fusion={vocabulary_fusion!r}: choose one of '
                             f'{VOCABULARY_FUSIONS}')
        self.vocabulary_fusion = vocabulary_fusion
        self.with_cp = with_cp
        self.class_names = self.templates = None
        if classes is not None:
            self.class_names = resolve_class_names(classes)
            self.templates = resolve_templates(templates)
            prompt_ids = self.tokenize(class_prompts(self.class_names, self.templates))
            # Columns where every prompt is padding change nothing: padding is
            # masked and the text tower is causal.
            length = int((~text.padding_mask(prompt_ids)).sum(1).max())
            self.register_buffer('prompt_ids', prompt_ids[:, :length], persistent=False)
        self.out_channels = tuple(level_channels[i] for i in self.out_indices)
        self.text_channels = text.embed_dim
        self.word_channels = text.stage_channels[-1]
        self.pooled_channels = vision.output_dim if out_pooled else None

    @staticmethod
    def _check_out_indices(out_indices: Sequence[int], num_levels: int,
                           out_pooled: bool) -> Tuple[int, ...]:
        """Indices made non-negative; raises ValueError for one out of range,
        or for no output at all."""
        if not out_indices and not out_pooled:
            raise ValueError('out_indices is empty and out_pooled is False: give the levels '
                             'to output')
        for index in out_indices:
            if not -num_levels <= index < num_levels:
                raise ValueError(f'out_indices {tuple(out_indices)}: there are {num_levels} '
                                 f'levels (embedding, {num_levels - 2} stages, final output)')
        return tuple(index % num_levels for index in out_indices)

    def freeze_encoders(self) -> None:
        """``requires_grad=False`` on every encoder parameter, except
        positional embeddings unless ``freeze_positional_embedding``."""
        for encoder in (self.vision_encoder, self.text_encoder):
            for name, param in encoder.named_parameters():
                trainable = encoder.is_positional_embedding(name) and not self.freeze_positional_embedding
                param.requires_grad_(trainable)

    def train(self, mode: bool = True) -> 'BridgedDualEncoder':
        super().train(mode)
        if mode and self.norm_eval:
            for encoder in (self.vision_encoder, self.text_encoder):
                for module in encoder.modules():
                    if isinstance(module, _BatchNorm):
                        module.eval()
        return self

    def init_weights(self) -> None:
        super().init_weights()
        if self.clip_weights:
            self.load_clip_weights()

    def load_clip_weights(self) -> None:
        """Load ``clip_weights`` into the encoders that take OpenAI-layout weights."""
        visual, text = split_clip_state_dict(load_clip_state_dict(self.clip_weights))
        towers = [(encoder, weights) for encoder, weights in
                  ((self.vision_encoder, visual), (self.text_encoder, text))
                  if encoder.takes_openai_weights]
        if not towers:
            raise ValueError(f'clip_weights={self.clip_weights!r}, but neither encoder takes '
                             'OpenAI-layout CLIP weights: set clip_weights=None and give '
                             'the encoders their own `pretrained` directories')
        for encoder, weights in towers:
            encoder.load_openai_state_dict(weights, self.clip_weights)
        print_log(f'loaded CLIP weights from {self.clip_weights} into the '
                  f'{" and ".join(type(e).__name__ for e, _ in towers)}', logger='current')

    def _restore_missing_towers(self, module, state_dict: dict, prefix: str, *args) -> None:
        """``load_state_dict`` pre-hook: when ``state_dict`` lacks frozen
        encoder weights (a parameter-efficient checkpoint) and this backbone
        was never initialised (mmseg's ``init_model``, mmdet's
        ``init_detector`` call no ``init_weights``), put them in from the
        config's weights (``clip_weights``, an HF encoder's ``pretrained``).

        Raises:
            CheckpointError: the config names no weights file for them, or
                it cannot be read; the towers would stay random.
        """
        missing = [name for name, param in self.named_parameters()
                   if not param.requires_grad and prefix + name not in state_dict]
        if not missing or self.is_init:
            return
        towers = [encoder for name, encoder in (('vision_encoder.', self.vision_encoder),
                                                ('text_encoder.', self.text_encoder))
                  if any(key.startswith(name) for key in missing)]
        what = (f'the checkpoint lacks {len(missing)} frozen weights of the backbone\'s '
                f'{" and ".join(type(e).__name__ for e in towers)} (e.g. {prefix}{missing[0]})')
        restorable = [e for e in towers if getattr(e, 'pretrained', None)
                      or (self.clip_weights and e.takes_openai_weights)]
        if len(restorable) < len(towers):
            raise CheckpointError(
                f'{what} and the config names no weights file to restore them from: set '
                f'model.backbone.clip_weights (or the encoder\'s pretrained) to the weights it '
                f'was trained with, or load a full checkpoint')
        try:
            for encoder in towers:
                if getattr(encoder, 'pretrained', None):
                    encoder.init_weights()
            if self.clip_weights:
                self.load_clip_weights()
        except (OSError, ValueError) as error:
            raise CheckpointError(f'{what}, which cannot be restored from the config: '
                                  f'{error}') from None
        own = self.state_dict()
        state_dict.update({prefix + name: own[name] for name in missing})

    def tokenize(self, texts: Union[str, Sequence[str]]) -> torch.Tensor:
        """Expressions -> token ids (B, L), by the text encoder's tokenizer."""
        return self.text_encoder.tokenize(texts)

    def forward(self, images: torch.Tensor, token_ids: Optional[torch.Tensor] = None
                ) -> BridgedFeatures:
        """``images`` (B, 3, H, W); ``token_ids`` (B, L) for expressions, or
        ``None`` for the vocabulary. See the class doc for the output."""
        if token_ids is not None:
            out = self._run(images, token_ids, 'expressions')
            return BridgedFeatures(out.maps, TextFeatures(
                out.sentence, out.words, self.text_encoder.padding_mask(token_ids)), out.pooled)
        if self.class_names is None:
            raise ValueError('this backbone has no vocabulary (classes=None), so it needs '
                             'token ids: forward(images, token_ids)')
        shared = self.bridger is None or self.vocabulary_fusion == 'shared_text'
        out = self._run(images, self.prompt_ids, 'shared_prompts' if shared else 'prompts')
        b, num_classes, sentence = images.shape[0], len(self.class_names), out.sentence
        embeddings = sentence.reshape(-1, num_classes, len(self.templates), sentence.shape[-1])
        embeddings = embeddings.mean(2).expand(b, -1, -1)  # (B, K, D)
        return BridgedFeatures(out.maps, TextFeatures(embeddings, class_names=self.class_names),
                               out.pooled)

    def _run(self, images: torch.Tensor, token_ids: torch.Tensor, texts: str) -> TowerOutputs:
        """Run both towers and the Bridger on ``texts``, one of :data:`TEXT_RUNS`:

        - ``'expressions'``: ``token_ids`` (B, L) holds one text per image;
          padded words take part in the Bridger, as in the reference.
        - ``'prompts'``: ``token_ids`` (P, L) holds the prompts of every
          image; the text tower runs them for each image (B * P sequences,
          text ``b * P + p``), padded words masked.
        - ``'shared_prompts'``: the same prompts run once (P sequences); the
          Bridger's text corrections of each image become a per-image
          residual on the final text state.

        The words and sentences are of B * P texts (B for expressions), or
        of P when shared and never corrected (no Bridger).
        """
        vision, text = self.vision_encoder, self.text_encoder
        b, shared = images.shape[0], texts == 'shared_prompts'
        token_ids, padding_mask = self._text_inputs(token_ids, texts, b)
        v_state, t_state = vision.embed(images), text.embed(token_ids)
        levels = {0: vision.stage_features(v_state)} if 0 in self.out_indices else {}
        previous = residual = None
        for stage in range(vision.num_stages):
            t_state = self._forward_stage(text, stage, t_state)
            v_state = self._forward_stage(vision, stage, v_state)
            if self.bridger is not None and self.bridger.fuses(stage):
                words = text.stage_features(text.repeat_state(t_state, b) if shared else t_state)
                v_delta, t_delta, previous = self.bridger(
                    stage, vision.stage_features(v_state), words, previous, padding_mask)
                v_state = vision.add_to_features(v_state, v_delta)
                if shared:
                    residual = t_delta if residual is None else residual + t_delta
                else:
                    t_state = text.add_to_features(t_state, t_delta)
            if stage + 1 in self.out_indices:
                levels[stage + 1] = vision.stage_features(v_state)
        final = vision.num_stages + 1
        if final in self.out_indices:
            levels[final] = vision.finalize(v_state)
        pooled = vision.pooled(v_state) if self.out_pooled else None
        if residual is not None:
            token_ids = token_ids.repeat(b, 1)
            t_state = text.add_to_features(text.repeat_state(t_state, b), residual)
        words, sentence = text.finalize(t_state, token_ids)
        return TowerOutputs([levels[index] for index in self.out_indices], pooled, words,
                            sentence)

    def _text_inputs(self, token_ids: torch.Tensor, texts: str, num_images: int
                     ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The ids the text tower runs for ``texts`` (see :meth:`_run`; the
        prompts repeated for every image unless shared) and the padding mask
        the Bridger gets, one row per image and text (None for expressions:
        their padded words take part)."""
        if texts not in TEXT_RUNS:
            raise ValueError(f'texts={texts!r}: choose one of {TEXT_RUNS}')
        if texts == 'prompts':
            token_ids = token_ids.repeat(num_images, 1)
        if texts == 'expressions':
            return token_ids, None
        padding_mask = self.text_encoder.padding_mask(token_ids)
        if texts == 'shared_prompts':
            padding_mask = padding_mask.repeat(num_images, 1)
        return token_ids, padding_mask

    def _forward_stage(self, encoder, stage: int, state):
        """``encoder.forward_stage(stage, state)``, checkpointed if ``with_cp``
        while gradients are recorded."""
        if self.with_cp and self.training and torch.is_grad_enabled():
            return checkpointed(encoder.forward_stage, encoder, stage, state)
        return encoder.forward_stage(stage, state)

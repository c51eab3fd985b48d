"""HFTextEncoder against the transformers models' own forward (tiny random
models and tokenizers written with save_pretrained)."""
import pytest
import torch
import transformers as hf

from mmris.models.encoders import HFTextEncoder

TEXTS = ['the red circle on the left', 'a blue square',
         'the yellow triangle to the left of the green circle under the man in the red shirt']
LENGTH = 12


def reference_outputs(kind: str, directory: str, texts, length: int = LENGTH):
    """The tokenizer's ids and attention mask (padded to ``length``,
    truncated) and the model's own word features and sentence feature."""
    tokenizer = hf.AutoTokenizer.from_pretrained(directory)
    inputs = tokenizer(texts, padding='max_length', truncation=True, max_length=length,
                       return_tensors='pt')
    model_inputs = {key: inputs[key] for key in tokenizer.model_input_names if key in inputs}
    with torch.no_grad():
        if kind == 'clip':
            model = hf.CLIPModel.from_pretrained(directory).eval()
            output = model.text_model(**model_inputs)
            sentence = model.get_text_features(**model_inputs).pooler_output
        elif kind == 'siglip':
            output = hf.SiglipModel.from_pretrained(directory).eval().text_model(**model_inputs)
            sentence = output.pooler_output
        else:
            output = hf.AutoModel.from_pretrained(directory).eval()(**model_inputs)
            sentence = output.pooler_output
    return inputs, output.last_hidden_state, sentence


def run_stages(encoder: HFTextEncoder, ids: torch.Tensor):
    with torch.no_grad():
        state = encoder.embed(ids)
        for stage in range(encoder.num_stages):
            state = encoder.forward_stage(stage, state)
        return encoder.finalize(state, ids)


@pytest.mark.parametrize('kind', ['clip', 'siglip', 'bert', 'roberta'])
def test_equals_the_models_own_forward(kind, tiny_hf_dir):
    directory = tiny_hf_dir(kind)
    encoder = HFTextEncoder(pretrained=directory, text_length=LENGTH, num_stages=3)
    encoder.init_weights()
    ids = encoder.tokenize(TEXTS)
    inputs, words_expected, sentence_expected = reference_outputs(kind, directory, TEXTS)
    assert torch.equal(ids, inputs['input_ids'])
    words, sentence = run_stages(encoder, ids)
    assert words.shape == (3, LENGTH, 32)
    assert (words - words_expected).abs().max() <= 1e-5
    assert (sentence - sentence_expected).abs().max() <= 1e-5
    assert sentence.shape[1] == encoder.embed_dim == (32 if kind in ('bert', 'roberta') else 24)


@pytest.mark.parametrize('kind, pad_id', [('clip', 49407), ('bert', 0), ('roberta', 1)])
def test_padding_mask_is_the_tokenizers_attention_mask(kind, pad_id, tiny_hf_dir):
    encoder = HFTextEncoder(pretrained=tiny_hf_dir(kind), text_length=30)
    ids = encoder.tokenize(TEXTS[:2])
    inputs, _, _ = reference_outputs(kind, tiny_hf_dir(kind), TEXTS[:2], length=30)
    assert torch.equal(encoder.padding_mask(ids), inputs['attention_mask'] == 0)
    assert encoder.padding_mask(ids).any() and (ids[encoder.padding_mask(ids)] == pad_id).all()


def test_the_attention_mask_hides_padding_from_bert(tiny_hf_dir):
    """Words of a text do not change with the padding length."""
    encoder = HFTextEncoder(pretrained=tiny_hf_dir('bert'), text_length=LENGTH)
    encoder.init_weights()
    longer = HFTextEncoder(pretrained=tiny_hf_dir('bert'), text_length=LENGTH + 5)
    longer.init_weights()
    short, _ = run_stages(encoder, encoder.tokenize('a blue square'))
    long, _ = run_stages(longer, longer.tokenize('a blue square'))
    torch.testing.assert_close(short[:, :5], long[:, :5])


def test_fusion_layers_cut_the_stages(tiny_hf_dir):
    encoder = HFTextEncoder(pretrained=tiny_hf_dir('bert'), num_stages=2, fusion_layers=(0, 2))
    assert encoder.stages == [(0, 1), (1, 3)]
    assert encoder.positional_embedding_keys == ('position_embedding', )
    assert encoder.is_positional_embedding('model.embeddings.position_embeddings.weight')
    assert not encoder.is_positional_embedding('model.embeddings.token_type_embeddings.weight')


def test_tokenizer_larger_than_the_embedding_table_is_refused(tiny_hf_dir):
    encoder = HFTextEncoder(tokenizer=tiny_hf_dir('bert'),
                            config=dict(model_type='bert', hidden_size=32, num_hidden_layers=3,
                                        num_attention_heads=2, intermediate_size=64,
                                        vocab_size=20))
    with pytest.raises(ValueError, match=r'vocabulary has \d+ tokens but the text model\'s '
                                         r'embedding table has 20 rows'):
        encoder.tokenize('a blue square')


def test_missing_tokenizer_says_what_to_set(tmp_path):
    config = dict(model_type='bert', hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                  intermediate_size=64)
    with pytest.raises(ValueError, match='has no tokenizer: set `tokenizer`'):
        HFTextEncoder(config=config).tokenize('a dog')
    with pytest.raises(FileNotFoundError, match='nowhere.*does not exist'):
        HFTextEncoder(config=config, tokenizer=str(tmp_path / 'nowhere')).tokenize('a dog')


def test_text_longer_than_the_models_positions_is_refused(tiny_hf_dir):
    with pytest.raises(ValueError, match='text_length=80 exceeds the text model\'s 77 positions'):
        HFTextEncoder(pretrained=tiny_hf_dir('clip'), text_length=80)


def test_unsupported_architecture_names_the_supported_ones():
    with pytest.raises(ValueError, match='supported architectures: bert, clip_text_model, '
                                         'roberta, siglip_text_model'):
        HFTextEncoder(config=dict(model_type='gpt2'))


@pytest.mark.parametrize('kind', ['clip', 'bert'])
def test_repeated_state_equals_repeated_ids(kind, tiny_hf_dir):
    """What the backbone's shared-text vocabulary mode relies on."""
    encoder = HFTextEncoder(pretrained=tiny_hf_dir(kind), text_length=LENGTH)
    ids = encoder.tokenize(TEXTS[:2])
    with torch.no_grad():
        state = encoder.embed(ids)
        for stage in range(encoder.num_stages):
            state = encoder.forward_stage(stage, state)
        repeated = encoder.finalize(encoder.repeat_state(state, 3), ids.repeat(3, 1))
    for got, expected in zip(repeated, run_stages(encoder, ids.repeat(3, 1))):
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize('fusion', ['two_way', 'shared_text'])
def test_vocabulary_mode_with_a_transformers_text_tower(fusion, tiny_hf_dir):
    from mmris.registry import MODELS
    backbone = MODELS.build(dict(
        type='BridgedDualEncoder', classes=['circle', 'square', 'triangle'], vocabulary_fusion=fusion,
        vision_encoder=dict(type='HFVisionEncoder', pretrained=tiny_hf_dir('dinov2')),
        text_encoder=dict(type='HFTextEncoder', pretrained=tiny_hf_dir('bert'), text_length=8),
        bridger=dict(type='Bridger', d_model=16, interactor=dict(type='LightInteractor', num_heads=2))))
    with torch.no_grad():
        features = backbone(torch.randn(2, 3, 28, 28))
    assert features.text.embeddings.shape == (2, 3, 32)
    assert [m.shape[1] for m in features] == [32, 32, 32]

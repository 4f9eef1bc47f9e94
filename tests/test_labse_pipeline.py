"""The optional LaBSE pipeline loads its model from a local path and featurizes id/ja/en text.

No weights can be downloaded here, so the test builds a tiny BERT (random weights, a small
WordPiece vocabulary), saves it like a real checkpoint, points LABSE_MODEL_PATH at it, and runs
Rasa's LanguageModelFeaturizer exactly as configured in config.labse.yml.
"""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.io import read_config_file

from bot.components.multilingual_tokenizer import MultilingualTokenizer
from tests.conftest import ROOT

HIDDEN = 32


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("tiny-labse")
    # BERT's (and LaBSE's) layout: Rasa relies on [CLS] = 101 and [SEP] = 102.
    words = (["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
             + ["apa", "itu", "smrj", "what", "is", "中", "小", "機", "構", "と", "は", "##s", "##rj", "?"])
    (folder / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(folder / "vocab.txt"), do_lower_case=True)
    config = transformers.BertConfig(vocab_size=len(words), hidden_size=HIDDEN, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=64,
                                     max_position_embeddings=512)
    model = transformers.TFBertModel(config)
    model(model.dummy_inputs)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_config_labse_loads_weights_from_the_local_path(tiny_bert, monkeypatch):
    monkeypatch.setenv("LABSE_MODEL_PATH", str(tiny_bert))
    pipeline = read_config_file(ROOT / "config.labse.yml")["pipeline"]
    entry = next(c for c in pipeline if c["name"] == "LanguageModelFeaturizer")
    assert entry["model_weights"] == str(tiny_bert)
    settings = {k: v for k, v in entry.items() if k != "name"}
    featurizer = LanguageModelFeaturizer.create(
        {**LanguageModelFeaturizer.get_default_config(), **settings}, None, None,
        ExecutionContext(GraphSchema({}), node_name="labse"))
    tokenizer = MultilingualTokenizer.create(MultilingualTokenizer.get_default_config(), None, None,
                                             None)
    messages = [Message(data={TEXT: text}) for text in ("Apa itu SMRJ?", "中小機構とは", "What is SMRJ?")]
    tokenizer.process(messages)
    featurizer.process(messages)
    for message in messages:
        sequence, sentence = message.get_dense_features(TEXT)
        assert sentence.features.shape == (1, HIDDEN)
        assert sequence.features.shape[1] == HIDDEN

"""Rasa components of Sahabat KPM. Imported only by the Rasa server (Python 3.10, .venv-rasa)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import RESPONSE_SELECTOR_PROPERTY_NAME
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RESPONSE_KEY,
    RESPONSE_IDENTIFIER_DELIMITER,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize as l2_normalize

from nlu.normalizer import normalize_word


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class IndonesianTokenizer(WhitespaceTokenizer):
    """Whitespace tokens whose lemma is the normalised Indonesian form ("sy" -> "saya", "blm" -> "belum").

    The text is left as typed, so entity offsets stay right; featurizers with `use_lemma` (the default of
    CountVectorsFeaturizer) see the normalised words.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "case_sensitive": False}

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = normalize_word(token.text)
        return tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with the knobs it lacks, on TF-IDF weighted features.

    Rasa 3.6's classifier ignores `C` (always 1.0) and fits raw counts, where the many char n-grams of a
    long message drown its few telling words. Here the count features of the featurizers before it get
    sublinear TF (1 + log tf), IDF learnt on the training examples and L2 row normalisation, and `C` and
    `class_weight` are honoured. The IDF vector is stored next to the classifier (plain .npy).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 1.0,
            "class_weight": "balanced",
            "tfidf": True,
            "max_iter": 1000,
        }

    def __init__(
        self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.config = {**self.get_default_config(), **config}
        self.clf.set_params(
            C=float(self.config["C"]), class_weight=self.config["class_weight"], max_iter=self.config["max_iter"]
        )
        self.idf: np.ndarray | None = None

    def _weigh(self, X: Any) -> csr_matrix:
        X = csr_matrix(X, dtype=np.float64)
        if not self.config["tfidf"] or self.idf is None or X.shape[1] != self.idf.shape[0]:
            return X
        X.data = 1.0 + np.log(np.maximum(X.data, 1e-12))
        X = X.multiply(self.idf.reshape(1, -1)).tocsr()
        return csr_matrix(l2_normalize(X))

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        return self._weigh(super()._create_X(messages))

    def train(self, training_data: TrainingData) -> Resource:
        self.idf = None
        X, y = self._create_training_matrix(training_data)  # raw counts: no IDF yet
        if X.shape[0] == 0:
            return self._resource
        if self.config["tfidf"]:
            X = csr_matrix(X)
            document_frequency = np.asarray((X > 0).sum(axis=0)).ravel()
            n = X.shape[0]
            self.idf = np.log((1.0 + n) / (1.0 + document_frequency)) + 1.0
            X = self._weigh(X)
        self.clf.fit(X, y)
        self.persist()
        return self._resource

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.clf, model_dir / f"{self._resource.name}.skops")
            if self.idf is not None:
                np.save(model_dir / f"{self._resource.name}.idf.npy", self.idf, allow_pickle=False)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfLogisticRegressionClassifier:
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(component, TfidfLogisticRegressionClassifier)
        try:
            with model_storage.read_from(resource) as model_dir:
                idf_file = model_dir / f"{resource.name}.idf.npy"
                if idf_file.exists():
                    component.idf = np.load(idf_file, allow_pickle=False)
        except ValueError:
            pass
        return component


def _selection(keys: np.ndarray, probabilities: np.ndarray, ranking_length: int) -> dict[str, Any]:
    """One entry of Rasa's `response_selector` parse output: the best key and a ranking, best first."""
    order = np.argsort(-probabilities)[:ranking_length]
    ranking = [{"id": None, "confidence": float(probabilities[i]), "intent_response_key": str(keys[i])} for i in order]
    best = ranking[0]["intent_response_key"]
    return {
        "response": {
            "id": None,
            "responses": None,
            "response_templates": None,
            "confidence": ranking[0]["confidence"],
            "intent_response_key": best,
            "utter_action": f"utter_{best}",
            "template_name": f"utter_{best}",
        },
        "ranking": ranking,
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TopicClassifier(TfidfLogisticRegressionClassifier):
    """Which catalogue topic a question asks: Rasa's retrieval intents (`ask_card/kks_hilang`) without DIET.

    Trained on the INTENT_RESPONSE_KEY of the retrieval examples (the intent classifier before it learns their
    parent intent, as Rasa does). It writes Rasa's own `response_selector` output: under the predicted intent, its
    topics ranked with probabilities renormalised within that intent (what a per-intent ResponseSelector gives),
    and under `default` all topics. ResponseSelector (DIET) was not used: training and parsing must stay fast
    (README "NLU", config.yml).
    """

    def _create_training_matrix(self, training_data: TrainingData) -> tuple[csr_matrix, list[str]]:
        examples = [e for e in training_data.intent_examples if e.get(INTENT_RESPONSE_KEY) and e.get(TEXT)]
        if not examples:
            return csr_matrix((0, 0)), []
        return self._create_X(examples), [e.get(INTENT_RESPONSE_KEY) for e in examples]

    def process(self, messages: list[Message]) -> list[Message]:
        if not hasattr(self.clf, "classes_"):  # nothing to learn from: no retrieval examples
            return messages
        keys = np.asarray(self.clf.classes_)
        parents = np.asarray([str(key).split(RESPONSE_IDENTIFIER_DELIMITER)[0] for key in keys])
        probabilities = self.clf.predict_proba(self._create_X(messages))
        length = int(self.config[RANKING_LENGTH]) or len(keys)
        for message, row in zip(messages, probabilities):
            selector: dict[str, Any] = {
                "all_retrieval_intents": sorted(set(parents.tolist())),
                "default": _selection(keys, row, length),
            }
            intent = (message.get(INTENT) or {}).get("name")
            if intent in selector["all_retrieval_intents"]:
                mask = parents == intent
                within = row[mask] / max(float(row[mask].sum()), 1e-12)
                selector[intent] = _selection(keys[mask], within, length)
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selector, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

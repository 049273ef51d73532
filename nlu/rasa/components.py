"""Rasa components of Sahabat KPM. Imported only by the Rasa server (Python 3.10, .venv-rasa)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
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

"""Custom Rasa NLU components: Latvian tokens, chat lines and letters, guideline questions,
fallback and routing."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

import joblib

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import LexicalSyntacticFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    METADATA,
    METADATA_INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge_base.guidelines import FAQ_INTENT, load_guidelines
from knowledge_base.retriever import GuidelineRetriever
from nlu.latvian_text import fold, sentences, stem, words
from nlu.letters import LetterModel, is_letter
from nlu.routing import ASK_INSTITUTION, KIND_OF_INTENT, ROUTE, decide

GUIDELINE = "guideline"  # parse-data key with the knowledge base's finding for the message
LETTER_MODEL = "letter_model"  # parse-data key: the intent is LetterClassifier's
NOT_FOR_DIET = "diet"  # intent-block metadata `diet: false`: examples DIET does not learn
ANSWERS_TO_THE_BOT = frozenset({"inform", "affirm", "deny"})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LatvianTokenizer(WhitespaceTokenizer):
    """Whitespace tokens whose lemma is the folded, stemmed word.

    "sūdzību", "sudzibas" and "Sūdzība" all get the lemma "sudzib", so the
    featurizers (which use lemmas) see one word despite case endings and
    missing diacritics.
    """

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = stem(fold(token.text))
        return tokens


def chat_lines(training_data: TrainingData) -> TrainingData:
    """The training data without the blocks DIET does not learn (``metadata: {diet: false}``:
    the letters and the questions to the institution, which are LetterClassifier's)."""
    def for_diet(message: Message) -> bool:
        return ((message.get(METADATA) or {}).get(METADATA_INTENT) or {}).get(NOT_FOR_DIET, True) is not False

    kept = [m for m in training_data.training_examples if for_diet(m)]
    # an intent only LetterClassifier learns (ask_institution) is left out of DIET's labels
    # too, so that DIET gets exactly the inputs it had before
    learnt = {m.get(INTENT) for m in kept if m.get(TEXT)}
    letters_only = {m.get(INTENT) for m in training_data.training_examples if m.get(TEXT)} - learnt
    kept = [m for m in kept if m.get(INTENT) not in letters_only]
    return TrainingData(kept,
                        training_data.entity_synonyms, training_data.regex_features,
                        training_data.lookup_tables, training_data.responses)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ChatLineCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer whose vocabulary comes from the chat lines (DIET's input)."""

    def train(self, training_data: TrainingData, model: Any = None) -> Resource:
        return super().train(chat_lines(training_data), model)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ChatLineLexicalSyntacticFeaturizer(LexicalSyntacticFeaturizer):
    """LexicalSyntacticFeaturizer whose feature values come from the chat lines (DIET's input)."""

    def train(self, training_data: TrainingData) -> Resource:
        return super().train(chat_lines(training_data))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class ChatLineDIETClassifier(DIETClassifier):
    """DIET trained on the chat lines only: letters and questions to the institution are
    LetterClassifier's; learning them made DIET worse on chat lines (README, "Real citizens'
    messages")."""

    def train(self, training_data: TrainingData) -> Resource:
        return super().train(chat_lines(training_data))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LetterClassifier(GraphComponent):
    """Classifies letters (long, multi-sentence messages, ``nlu.letters.is_letter``) with
    ``nlu.letters.LetterModel``, trained on every intent example. A chat line keeps DIET's
    intent, unless the model is sure (``question_threshold``) that it is a question to the
    institution, an intent DIET does not learn."""

    FILE = "letters.joblib"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"regularisation": 10.0, "question_threshold": 0.5, "balanced": True}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[LetterModel] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> LetterClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> LetterClassifier:
        with model_storage.read_from(resource) as directory:
            return cls(config, model_storage, resource, joblib.load(directory / cls.FILE))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        self._model = LetterModel([m.get(TEXT) for m in examples], [m.get(INTENT) for m in examples],
                                  self._config["regularisation"], self._config["balanced"])
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._model, directory / self.FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if self._model is None or not words(text):
                continue
            ranking = self._model.ranking(text)
            question = ranking[0]["name"] == ASK_INSTITUTION and \
                ranking[0]["confidence"] >= self._config["question_threshold"]
            if is_letter(text) or question:
                message.set(INTENT, ranking[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
                message.set(LETTER_MODEL, True, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LatvianFallbackClassifier(FallbackClassifier):
    """The FallbackClassifier, which also decides what the bot does with the message.

    It falls back ("nesapratu") on messages with no words at all: an empty, whitespace-only
    or emoji-only message would otherwise get whichever intent the model guesses for
    "nothing" (often `affirm`, which would confirm a form). A message of substance that it
    is unsure about is not dropped: ``nlu.routing.decide`` sends it to registration with the
    kind left open (the bot asks), under the most likely registration intent, whose rule
    starts the registration. The decision goes into the parse data as ``route``.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # letters' intents are probabilities of LetterClassifier, with a threshold of their own
        return {**FallbackClassifier.get_default_config(), "letter_threshold": 0.5}

    def _should_fallback(self, message: Message) -> bool:
        if not words(message.get(TEXT) or ""):
            return True
        if message.get(LETTER_MODEL):
            confidence = (message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0
            ambiguous, _ = self._nlu_prediction_ambiguous(message)
            return confidence < self.component_config["letter_threshold"] or ambiguous
        return super()._should_fallback(message)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            ranking = message.get(INTENT_RANKING_KEY) or ([intent] if intent.get(INTENT_NAME_KEY) else [])
            route = decide(message.get(TEXT) or "", ranking, self._should_fallback(message))
            message.set(ROUTE, route.as_dict(), add_to_output=True)
            if route.action == "not_understood":
                super().process([message])
            elif route.intent != intent.get(INTENT_NAME_KEY):
                confidence = next((r[PREDICTED_CONFIDENCE_KEY] for r in ranking
                                   if r.get(INTENT_NAME_KEY) == route.intent), 0.0)
                message.set(INTENT, {INTENT_NAME_KEY: route.intent, PREDICTED_CONFIDENCE_KEY: confidence},
                            add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class GuidelineQuestionClassifier(GraphComponent):
    """Decides whether a message is a guideline question, and which entry answers it.

    Trains ``knowledge_base.retriever`` on every phrasing of the knowledge base and on the
    other intents' examples (as "not a guideline question"). DIET learns the ``faq`` intent
    from only a few phrasings per entry, so that the FAQ does not outweigh the registration
    intents; this component then corrects DIET both ways:

    - an own phrasing of an entry, or a text the retriever clearly takes for a guideline
      question (lead of at least ``QUESTION_MARGIN``), becomes ``faq``; except that an
      answer to the bot's own question ("nē, tas ir ierosinājums") stays one;
    - a ``faq`` that the retriever takes for something else becomes DIET's next intent;
    - a guideline question is short and question-shaped (:meth:`question_shaped`): a long,
      multi-sentence message that DIET takes for a registration ("... piekļūstamība ...
      nav nodrošināta, lūdzu salabojiet!") is never answered from the guidelines.

    The finding (entry to answer with, closest entries, margins) goes into the parse data
    as ``guideline``, for ``action_answer_faq``.
    """

    QUESTION_MARGIN = 0.5
    MAX_QUESTION_WORDS = 30  # the knowledge base's longest phrasing has 29
    MAX_QUESTION_SENTENCES = 2  # of three or more words (greetings and thanks do not count)
    REGISTRATION_WORDS = 15  # a registration (per DIET) this long is not taken for a guideline question
    FILE = "retriever.joblib"

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 retriever: Optional[GuidelineRetriever] = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._retriever = retriever

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> GuidelineQuestionClassifier:
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> GuidelineQuestionClassifier:
        with model_storage.read_from(resource) as directory:
            return cls(model_storage, resource, joblib.load(directory / cls.FILE))

    def train(self, training_data: TrainingData) -> Resource:
        not_questions = [m.get(TEXT) for m in training_data.intent_examples if m.get(INTENT) != FAQ_INTENT]
        self._retriever = GuidelineRetriever(load_guidelines(), not_questions)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._retriever, directory / self.FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            finding = self._retriever.find(message.get(TEXT) or "")
            message.set(GUIDELINE, finding.as_dict(), add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            shaped = self.question_shaped(message.get(TEXT) or "", ranking)
            guessed = finding.question_margin >= self.QUESTION_MARGIN and intent not in ANSWERS_TO_THE_BOT and shaped
            if finding.own_phrasing or guessed:
                self._set_ranking(message, [{INTENT_NAME_KEY: FAQ_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}])
            elif intent == FAQ_INTENT and (finding.question_margin < 0 or not shaped):
                self._set_ranking(message, self._without_faq(ranking))
        return messages

    @classmethod
    def question_shaped(cls, text: Text, ranking: List[Dict[Text, Any]]) -> bool:
        """Short enough to be a guideline question, and not a long message DIET takes for a registration."""
        count = len(words(text))
        content = [sentence for sentence in sentences(text) if len(words(sentence)) >= 3]
        if count > cls.MAX_QUESTION_WORDS or len(content) > cls.MAX_QUESTION_SENTENCES:
            return False
        diet_says = ranking[0].get(INTENT_NAME_KEY) if ranking else None
        return not (diet_says in KIND_OF_INTENT and count > cls.REGISTRATION_WORDS)

    @staticmethod
    def _without_faq(ranking: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        """DIET's ranking given that the message is not a guideline question (renormalised)."""
        rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != FAQ_INTENT]
        total = sum(r[PREDICTED_CONFIDENCE_KEY] for r in rest) or 1.0
        return [{**r, PREDICTED_CONFIDENCE_KEY: r[PREDICTED_CONFIDENCE_KEY] / total} for r in rest]

    @staticmethod
    def _set_ranking(message: Message, ranking: List[Dict[Text, Any]]) -> None:
        message.set(INTENT, ranking[0] if ranking else {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                    add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

"""Custom Rasa NLU components for Latvian."""
from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.latvian_text import fold, stem, words


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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LatvianFallbackClassifier(FallbackClassifier):
    """The FallbackClassifier, which also falls back on messages with no words at all.

    An empty, whitespace-only or emoji-only message would otherwise get whichever
    intent the model guesses for "nothing" (often `affirm`, which would confirm a form).
    """

    def _should_fallback(self, message: Message) -> bool:
        return not words(message.get(TEXT) or "") or super()._should_fallback(message)

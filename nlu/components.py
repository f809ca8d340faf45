"""Custom Rasa NLU components for Latvian."""
from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.latvian_text import fold, stem


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

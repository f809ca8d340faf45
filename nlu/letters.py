"""The intent of a "letter": a long, multi-sentence message as residents write to their municipality.

Letters open with a greeting and context, mix a complaint with a question or a proposal and
run to three to ten sentences. DIET, which reads chat lines well, got worse on chat lines
when it also learnt letters (held-out macro-F1 0.960 -> 0.884), so letters have their own
model: a logistic regression over stemmed words (uni- and bigrams) and character n-grams
(2-5, for typos and missing diacritics), trained on every intent example. Classes are
weighted by their size ("balanced"): the knowledge base's many guideline phrasings would
otherwise make every long question look like a guideline question and push real letters
towards the biggest registration class (README, "Real residents' letters"). It gives
probabilities, which the fallback compares with its own ``letter_threshold``.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Text

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union

from nlu.latvian_text import fold, sentences, stems, words

LETTER_WORDS = 20  # a message this long is a letter
LETTER_SENTENCES = 2  # so is one of two or more sentences of three or more words ...
LETTER_MIN_WORDS = 12  # ... and at least this many words
RANKED = 10


def is_letter(text: str) -> bool:
    """A long or multi-sentence message (greetings and one-word sentences do not count)."""
    count = len(words(text))
    content = [sentence for sentence in sentences(text) if len(words(sentence)) >= 3]
    return count >= LETTER_WORDS or (len(content) >= LETTER_SENTENCES and count >= LETTER_MIN_WORDS)


def _stemmed(text: str) -> str:
    return " ".join(stems(text))


class LetterModel:
    """Intent probabilities for letters."""

    def __init__(self, texts: Sequence[str], intents: Sequence[str], regularisation: float = 10.0,
                 balanced: bool = True) -> None:
        features = make_union(
            TfidfVectorizer(preprocessor=_stemmed, ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        self.model = Pipeline([("features", features),
                               ("classifier", LogisticRegression(C=regularisation, max_iter=3000,
                                                                 class_weight="balanced" if balanced else None))])
        self.model.fit(list(texts), list(intents))

    def ranking(self, text: str) -> List[Dict[Text, object]]:
        """Intents with their probabilities, most likely first (Rasa's intent-ranking format)."""
        probabilities = self.model.predict_proba([text])[0]
        ranked = sorted(zip(self.model.classes_, probabilities), key=lambda pair: -pair[1])[:RANKED]
        return [{"name": str(intent), "confidence": float(p)} for intent, p in ranked]

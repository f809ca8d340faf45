"""Finds the guideline entry a question asks about, and says how sure it is.

A linear support-vector classifier over word stems (uni- and bigrams) and character
n-grams (which absorb typos and missing diacritics). It learns every phrasing, title and
answer sentence of the knowledge base, one class per entry, and one more class from
messages that are *not* guideline questions (the other intents' training examples). So it
answers two questions, each with a margin (see README, "Guideline questions"):

- is this a guideline question at all? (the best entry's lead over "not a question");
- which entry answers it? (the best entry's lead over the runner-up entry). A question
  that two entries fit about equally well is not answered as fact; the closest topics are
  offered instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_union
from sklearn.svm import LinearSVC

from knowledge_base.guidelines import Entry, KnowledgeBase
from nlu.latvian_text import fold, stems, words

# The bot states an answer as fact only when the best entry's score leads the runner-up's
# by at least this much (chosen by measurement, see README "Guideline questions").
ANSWER_MARGIN = 0.25
OFFERED_TOPICS = 3
NOT_A_QUESTION = "__not_a_guideline_question__"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Finding:
    """What the knowledge base has for a text: the entry to answer with, if sure."""

    answer: Optional[Entry]
    closest: tuple[Entry, ...]
    confidence: float  # the best entry's lead over the runner-up entry
    question_margin: float  # the best entry's lead over "not a guideline question"
    own_phrasing: bool  # the text is one of the answer's own phrasings

    def as_dict(self) -> dict:
        """The finding as the NLU pipeline passes it on (``guideline`` in the parse data)."""
        return {
            "answer": self.answer.id if self.answer else None,
            "closest": [entry.id for entry in self.closest],
            "confidence": self.confidence,
            "question_margin": self.question_margin,
        }


def training_examples(knowledge_base: KnowledgeBase) -> tuple[list[str], list[str]]:
    """(text, entry id) pairs: every phrasing, the title and each sentence of the answer."""
    texts: list[str] = []
    labels: list[str] = []
    for entry in knowledge_base.entries:
        for text in (*entry.questions, entry.title, *_SENTENCE_END.split(entry.answer)):
            texts.append(text)
            labels.append(entry.id)
    return texts, labels


def _stemmed(text: str) -> str:
    return " ".join(stems(text))


class GuidelineRetriever:
    """Ranks the knowledge base's entries for a text; answers only clear best matches."""

    def __init__(self, knowledge_base: KnowledgeBase, not_questions: Sequence[str] = (),
                 margin: float = ANSWER_MARGIN) -> None:
        self.knowledge_base = knowledge_base
        self.margin = margin
        texts, labels = training_examples(knowledge_base)
        texts += not_questions
        labels += [NOT_A_QUESTION] * len(not_questions)
        features = make_union(
            TfidfVectorizer(preprocessor=_stemmed, ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        self.model = Pipeline([("features", features), ("classifier", LinearSVC(C=1.0))])
        self.model.fit(texts, labels)

    def find(self, text: str) -> Finding:
        """The entry to answer with (an own phrasing, or a clear best match) and the closest ones."""
        scores = dict(zip(self.model.classes_, self.model.decision_function([text])[0]))
        not_a_question = scores.pop(NOT_A_QUESTION, float("-inf"))
        ranking = sorted(scores, key=scores.get, reverse=True)
        best, runner_up = scores[ranking[0]], scores[ranking[1]]
        sure = best - runner_up >= self.margin and bool(words(text))
        known = self.knowledge_base.by_phrasing(text)
        answer = known or (self.knowledge_base.get(ranking[0]) if sure else None)
        closest = tuple(self.knowledge_base.get(entry_id) for entry_id in ranking[:OFFERED_TOPICS])
        return Finding(answer, closest, float(best - runner_up), float(best - not_a_question), known is not None)

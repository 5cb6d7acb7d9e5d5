"""Forgiving text comparison for short and open answers (rapidfuzz over normalised text).

Normalising folds case and accents and turns punctuation into spaces, so `DELETE+INSERT`,
`Delete / insert` and `delete insert` are the same words. A rubric phrasing matches when every
content word of it is found in one sentence of the answer: exactly, as a prefix (`duplicat`
finds `duplicates`), or, for words of 5+ letters, with a rapidfuzz ratio at or above the
threshold (`transacton` finds `transaction`). Small words ("the", "a") are not required.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

STOPWORDS = frozenset(
    {
        "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "is", "are", "be", "been",
        "it", "its", "this", "that", "these", "those", "with", "by", "as", "at", "from", "so",
        "then", "than", "into", "do", "does", "did", "you", "your", "we", "our", "i", "my",
        "they", "their", "there",
    }
)  # fmt: skip
NEGATIONS = frozenset(
    {"not", "no", "never", "dont", "don", "doesnt", "isnt", "wont", "cannot", "cant", "without"}
)
_SENTENCE_END = re.compile(r"[.!?;\n]+")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """'  Délète  the  Month!' -> 'delete the month'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace("'", "").replace("\u2019", "")  # don't -> dont, month's -> months
    return _NON_WORD.sub(" ", plain).strip()


def words(text: str) -> list[str]:
    return normalise(text).split()


def sentences(text: str) -> list[list[str]]:
    return [ws for part in _SENTENCE_END.split(text) if (ws := words(part))]


def word_similarity(key: str, token: str, threshold: int) -> float:
    """0-100: how well `token` (from the answer) stands for `key` (from the rubric)."""
    if token == key:
        return 100.0
    if token.startswith(key) and (len(key) >= 4 or len(token) <= len(key) + 2):
        return 100.0  # word endings: log -> logs, delete -> deleted, duplicat -> duplicates
    if len(key) < 5:
        return 0.0  # short words must be spelled right ("dag" is not "day")
    best = max(fuzz.ratio(key, token), fuzz.ratio(key, token[: len(key) + 1]))
    return best if best >= threshold else 0.0


@dataclass(frozen=True)
class PhraseMatch:
    score: float  # 0-100, the weakest word's similarity
    evidence: str  # the answer's words that matched, in order
    negated: bool  # a "not"/"no"/"never" shortly before a matched word


def _candidates(sentence: list[str]) -> list[tuple[str, int, bool]]:
    """(word, position, is_joined): the sentence's words, plus each pair of neighbours joined
    so that `re-run` still finds `rerun`."""
    single = [(w, i, False) for i, w in enumerate(sentence)]
    joined = [
        (a + b, i, True) for i, (a, b) in enumerate(zip(sentence, sentence[1:], strict=False))
    ]
    return single + joined


def _similarity(key: str, candidate: str, is_joined: bool, threshold: int) -> float:
    if not is_joined:
        return word_similarity(key, candidate, threshold)
    if candidate == key:
        return 100.0
    ratio = fuzz.ratio(key, candidate) if len(key) >= 5 else 0.0
    return ratio if ratio >= threshold else 0.0  # never a prefix: "deletethe" is not "delete"


def match_phrase(phrase: str, sentence: list[str], threshold: int) -> PhraseMatch:
    keys = [w for w in words(phrase) if w not in STOPWORDS] or words(phrase)
    candidates = _candidates(sentence)
    scores, used, positions = [], [], []
    for key in keys:
        # Ties go to a single word over a joined pair.
        score, _, token, position = max(
            (
                (_similarity(key, tok, is_joined, threshold), not is_joined, tok, pos)
                for tok, pos, is_joined in candidates
            ),
            default=(0.0, True, "", -1),
        )
        if score == 0:
            return PhraseMatch(0.0, "", False)
        scores.append(score)
        used.append(token)
        positions.append(position)
    phrase_negates = any(k in NEGATIONS for k in keys)
    negated = not phrase_negates and any(
        w in NEGATIONS for p in positions for w in sentence[max(0, p - 3) : p]
    )
    return PhraseMatch(min(scores), " ".join(used), negated)


def best_phrase(phrasings: list[str], text: str, threshold: int) -> tuple[str | None, PhraseMatch]:
    """The phrasing that matches some sentence of `text` best (score 0 when none does)."""
    best: tuple[str | None, PhraseMatch] = (None, PhraseMatch(0.0, "", False))
    for sentence in sentences(text):
        for phrasing in phrasings:
            found = match_phrase(phrasing, sentence, threshold)
            if found.score > best[1].score:
                best = (phrasing, found)
    return best


def text_equivalent(answer: str, accepted: str, threshold: int) -> bool:
    """Short text answers: equal after normalising, or close enough to be a typo."""
    a, b = normalise(answer), normalise(accepted)
    if not a or not b:
        return False
    if a == b:
        return True
    return len(b) >= 5 and fuzz.ratio(a, b) >= threshold  # no typos allowed in "3" or "dag"

"""Which language a citizen writes in: the script first, then CLD3 for Latin-script text.

Kannada and Devanagari script decide by themselves. Latin script may be English or
romanised Hindi (Hinglish); CLD3 knows `hi-Latn` but is unreliable on the three-word
messages citizens send, so its scores are combined with common Hindi function words.
Hinglish writers are answered in Hindi.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import gcld3

REPLY_LANGUAGES = ("en", "hi", "kn")

# Words that almost only appear in romanised Hindi; each is evidence, none is proof.
_HINGLISH_MARKERS = frozenset(
    """hai hain ho hona tha thi mera meri mere mujhe mujhko hum humko hamara aap aapka apna kya kyu kyun
    kaise kab kahan kitna kitni kitne nahi nahin nhi haan ji karo karna karni kar karke karwana kijiye
    chahiye chaiye chahta chahti mil milega milegi milta sakta sakte sakti raha rahi rahe gaya gayi hoga
    ka ki ke ko se mein par pe abhi jaldi bhai bhaiya sahab krpya kripya dhanyavad shukriya batao
    bataiye bata dikhao rehne wala wali bhi aur lekin paani pani bijli sadak kachra ghar din""".split()
)
# English function words. Words that are also romanised Hindi ("do" = give, "to" = then,
# "me" = in, "na") are left out of both lists.
_ENGLISH_MARKERS = frozenset(
    """the is are was what when where how why which who my your i we you please can could would
    should does did not no yes have has had need want for of in on at from with about and or
    this that it its an be been get got apply documents status complaint""".split()
)
# How much more evidence one language needs before a Latin-script message counts as it.
_MARGIN = 0.5


@dataclass(frozen=True)
class Detection:
    language: str | None  # en | hi | kn, or None when the text says nothing reliable
    tag: str | None  # en | hi | kn | hinglish
    by_script: bool  # decided by Kannada or Devanagari letters


NOTHING = Detection(None, None, False)


@lru_cache(maxsize=1)
def _identifier() -> gcld3.NNetLanguageIdentifier:
    return gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)


def _script_counts(text: str) -> tuple[int, int, int]:
    kannada = devanagari = latin = 0
    for ch in text:
        if "\u0c80" <= ch <= "\u0cff":
            kannada += 1
        elif "\u0900" <= ch <= "\u097f":
            devanagari += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
    return kannada, devanagari, latin


def _cld3_scores(text: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for result in _identifier().FindTopNMostFreqLangs(text, num_langs=3):
        scores[result.language] = max(scores.get(result.language, 0.0), result.probability * result.proportion)
    return scores


def detect(text: str) -> Detection:
    """The language of one message, or NOTHING for payloads, numbers and one-word replies."""
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return NOTHING
    kannada, devanagari, latin = _script_counts(text)
    if kannada and kannada >= devanagari and kannada * 2 >= latin:
        return Detection("kn", "kn", True)
    if devanagari and devanagari * 2 >= latin:
        return Detection("hi", "hi", True)
    if latin < 4:
        return NOTHING
    words = [w.strip(".,!?;:'\"()") for w in text.lower().split()]
    hindi_words = sum(w in _HINGLISH_MARKERS for w in words)
    english_words = sum(w in _ENGLISH_MARKERS for w in words)
    scores = _cld3_scores(text)
    hindi_score = hindi_words + 2 * scores.get("hi-Latn", 0.0) + 2 * scores.get("hi", 0.0)
    english_score = english_words + 2 * scores.get("en", 0.0)
    if hindi_words and hindi_score > english_score + _MARGIN:
        return Detection("hi", "hinglish", False)
    if english_words and english_score > hindi_score + _MARGIN:
        return Detection("en", "en", False)
    if len(words) >= 3 and scores.get("en", 0.0) >= 0.9:
        return Detection("en", "en", False)
    return NOTHING


def next_language(current: str | None, chosen: bool, detection: Detection) -> str | None:
    """The reply language after a message.

    A language the citizen chose stays until they choose another (someone may write Kannada
    and prefer Hindi replies). An inferred language follows what they write.
    """
    if detection.language is None or chosen:
        return current
    return detection.language


def language_named(text: str, synonyms_by_language: dict[str, tuple[str, ...]]) -> str | None:
    """A reply language the citizen named ("hindi please", "ಕನ್ನಡ", "kn")."""
    from nagarik.shared.text import best_match  # local: keeps this module's import cheap

    lowered = (text or "").strip().lower()
    if lowered in REPLY_LANGUAGES:
        return lowered
    return best_match(text, synonyms_by_language.items())

"""A deterministic English-like test corpus for the word-count benchmarks.

Words from a seeded vocabulary of syllable strings, drawn with Zipf
frequencies (rank r has weight 1/r), in mixed case, some with punctuation
attached; about one line in ten also carries non-ASCII words (accented Latin,
Greek with final sigma, Cyrillic, CJK, dotted capital I, ligatures).
"""
from __future__ import annotations

import itertools
import random
from pathlib import Path

SYLLABLES = ["the", "an", "of", "in", "re", "con", "ter", "ing", "al", "er", "ly", "tion", "pro", "com", "de",
             "ex", "ist", "ment", "ous", "ive", "ble", "ca", "ra", "mo", "li", "sa", "ne", "to", "ma", "ri"]
NON_ASCII = ["café", "CAFÉ", "naïve", "Straße", "STRASSE", "ΣΟΦΙΑ", "σοφίας", "Москва", "МОСКВА", "İstanbul",
             "ﬁnance", "東京", "日本語", "Ærøskøbing", "über", "ÜBER", "jalapeño", "façade", "Ωμέγα", "emoji🙂"]
PUNCTUATION = ["", "", "", "", "", "", ",", ".", ";", ":", "!", "?", "'s", ")", "\""]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def generate(path: str | Path, size_mb: float = 43.0, seed: int = 20261121) -> Path:
    """Writes about `size_mb` MB of text to `path` (UTF-8) and returns the path."""
    rng = random.Random(seed)
    words = vocabulary(rng, 50_000)
    rng.shuffle(words)
    cumulative = list(itertools.accumulate(1.0 / rank for rank in range(1, len(words) + 1)))
    target = int(size_mb * 1_000_000)
    path = Path(path)
    written = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        while written < target:
            lines = []
            for _ in range(1000):
                tokens = rng.choices(words, cum_weights=cumulative, k=rng.randint(6, 16))
                styled = []
                for token in tokens:
                    roll = rng.random()
                    if roll < 0.12:
                        token = token.capitalize()
                    elif roll < 0.15:
                        token = token.upper()
                    styled.append(token + rng.choice(PUNCTUATION))
                if rng.random() < 0.1:
                    styled.insert(rng.randrange(len(styled) + 1), rng.choice(NON_ASCII))
                lines.append(" ".join(styled))
            chunk = "\n".join(lines) + "\n"
            out.write(chunk)
            written += len(chunk.encode("utf-8"))
    return path

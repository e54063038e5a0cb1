"""Whether a published label stays: it changes only when its topic's content has moved.

A topic keeps its name week after week while its texts still say what it was named for
(pulse.topics.labels names it in the first place), so a reader can follow an issue from
one report to the next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pulse.topics.labels import (
    LABEL_COVERAGE,
    Candidates,
    base_label,
    is_fallback,
    label_key,
    name_of,
)
from pulse.topics.languages import join_word
from pulse.topics.praise import without_praise
from pulse.topics.vocabulary import stem as _stem

#: A published label stays while this share of the keywords it was named for are still
#: among the topic's keywords (below it, the content has moved and the topic is renamed).
LABEL_KEEP_OVERLAP = 0.3


def keeps_label(
    label_keywords: Sequence[str] | None,
    keywords: Sequence[str],
    label: str | None = None,
    background: set[str] | None = None,
    found: Candidates | None = None,
    texts: Sequence[str] = (),
) -> bool:
    """Whether a topic's content is still what its published label was named for.

    It is while the label's first phrase is still one of the topic's keywords and said
    by LABEL_COVERAGE of its texts, or while LABEL_KEEP_OVERLAP of the words it was named
    for are among its keywords; a topic that had no name and still has none keeps its
    "Other feedback (3)" (`found`, `texts`: its candidates and texts this window). A
    label holding a word the data now shows to be background (a brand, a mask) goes: such
    a word never names a topic, even one named before it was known.
    """
    if label and background and set(re.sub(r"[^\w\s]", " ", label.lower()).split()) & background:
        return False
    if label and found is not None and (_still_said(label, found) or _no_name(label, found, texts)):
        return True
    if not label_keywords:
        return False
    named = {_stem(w) for phrase in label_keywords for w in phrase.split()}
    now = {_stem(w) for phrase in keywords for w in phrase.split()}
    return len(named & now) >= LABEL_KEEP_OVERLAP * len(named)


def _still_said(label: str, found: Candidates) -> bool:
    """Whether the label's first phrase is still a keyword that enough texts say."""
    head = label_key(without_praise(label).split(f" {join_word(found.languages)} ")[0])
    keywords = {label_key(k) for k in found.keywords()}
    return head in keywords and any(
        label_key(p) == head and c >= LABEL_COVERAGE
        for p, c in zip(found.phrases, found.coverage, strict=True)
    )


def _no_name(label: str, found: Candidates, texts: Sequence[str]) -> bool:
    """Whether a topic named for what its texts are ("Short replies (2)") would be again."""
    return is_fallback(label) and name_of(found, list(texts)) == base_label(label)

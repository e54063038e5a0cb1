"""How a label is spelt: as most of its texts spell each word, never as one customer's
capitals (pure)."""

from __future__ import annotations

import re

#: The share of a word's uses that most-common spelling needs to name it ...
COMMON_SHARE = 0.6
#: ... and that a deliberate one needs ("iPhone", "WiFi", "TV": see `_deliberate`), which
#: many writers skip for lowercase, the spelling that decides nothing.
DELIBERATE_SHARE = 0.4
#: An all-capitals form this short is an acronym ("TV", "USB", "ASAP"); a longer one may
#: be emphasis ("BREAKING", "USERS") and needs COMMON_SHARE.
ACRONYM_LETTERS = 4


def restore_case(
    phrase: str, texts: list[str], join: str = "and", capital_nouns: bool = False
) -> str:
    """The phrase in sentence case, each word as most texts spell it ("InMail", "iOS", "ID").

    A text written mostly in capitals is shouting: its capitals say nothing about how the
    word is spelt, so a customer's caps never reach a label. In a language that spells
    its nouns with a capital (`capital_nouns`: German), a capital most texts give a word
    inside a sentence is its spelling too ("doppelte Abbuchung").
    """
    out = []
    for index, word in enumerate(phrase.split()):
        spelt = word if word == join else _common_spelling(word, texts, capital_nouns)
        if index == 0 and spelt == spelt.lower():
            spelt = spelt[:1].upper() + spelt[1:]
        out.append(spelt)
    return " ".join(out)


def _common_spelling(word: str, texts: list[str], capital_nouns: bool = False) -> str:
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    forms: dict[str, int] = {}
    for text in texts[:500]:
        if capital_nouns:  # only inside a sentence does a capital say how a word is spelt
            found = {m.group(0) for m in pattern.finditer(text) if not _starts_sentence(text, m)}
        else:
            found = set(pattern.findall(text))
        if not found:
            continue
        letters = [c for c in text if c.isalpha()]
        shouting = sum(c.isupper() for c in letters) > 0.5 * len(letters)
        for form in found:
            form = form.lower() if shouting and form.isupper() else form
            forms[form] = forms.get(form, 0) + 1
    if not forms:
        return word.lower()
    total = sum(forms.values())
    best = max(sorted(forms), key=forms.get)
    # Capitalised only by starting a sentence does not count as a spelling (but a German
    # noun's capital, counted inside sentences only, does).
    special = best != best.lower() and (capital_nouns or best != best.capitalize())
    if special and forms[best] >= 3 and forms[best] >= COMMON_SHARE * total:
        return best
    deliberate = [form for form in sorted(forms) if _deliberate(form)]
    if deliberate:
        form = max(deliberate, key=forms.get)
        if forms[form] >= 3 and forms[form] >= DELIBERATE_SHARE * total:
            return form
    return word.lower()


def _deliberate(form: str) -> bool:
    """Whether a spelling is a choice no writer makes by accident: a capital inside the
    word ("iPhone", "WiFi", "DMs"), or an acronym's capitals ("TV")."""
    if form.isupper():
        return len(form) <= ACRONYM_LETTERS
    return any(c.isupper() for c in form[1:])


def _starts_sentence(text: str, match: re.Match) -> bool:
    return not text[: match.start()].strip() or text[: match.start()].rstrip()[-1] in ".!?:"

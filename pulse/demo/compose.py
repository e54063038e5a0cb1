"""Writing one text: a theme's building blocks picked, ordered, filled and perturbed.

A ticket is a few sentences (an opener, one or two core complaints, details with numbers
and product words, a closer) in e-mail or chat furniture; a post is one or two sentences
with handles, hashtags and emoji. Typos, ALL CAPS bursts and sarcasm come at set rates,
and about one text in twenty carries personal data for redaction to find.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pulse.demo.corpus import BLOCKS, Blocks, Theme
from pulse.demo.fake_pii import member_handle, support_pii_sentence

_SLOT = re.compile(r"\{(\w+)\}")

def _slot_value(name: str, rng: random.Random, created: datetime, blocks: Blocks) -> str:
    """A fresh value for one placeholder; dates stay before the text's own timestamp."""
    ri = rng.randint
    if name == "n":
        return str(ri(2, 9))
    if name == "n2":
        return str(ri(2, 6))
    if name == "big":
        return str(ri(20, 950))
    if name == "contacts":
        return str(rng.choice([ri(180, 900), ri(900, 2600), ri(2600, 4800)]))
    if name == "days":
        return str(ri(2, 24))
    if name == "hours":
        return str(ri(2, 72))
    if name == "minutes":
        return str(ri(6, 45))
    if name == "years":
        return str(ri(2, 15))
    if name == "year":
        return str(ri(2008, created.year - 1))
    if name == "pct":
        return str(ri(12, 97))
    if name == "last4":
        return f"{ri(0, 9999):04d}"
    if name == "ordinal":
        return rng.choice(blocks["ordinals"])
    if name in ("amount", "amount2"):
        return rng.choice(blocks["prices"])
    if name == "amount_big":
        return rng.choice(blocks["big_amounts"])
    if name == "plan":
        return rng.choice(blocks["plans"])
    if name == "date":
        day = created.date() - timedelta(days=ri(1, 40))
        style = ri(0, 3)
        if style == 0:
            return f"{blocks['months'][day.month - 1][:3]} {day.day}"
        if style == 1:
            return f"{day.day} {blocks['months'][day.month - 1]}"
        if style == 2:
            return f"{day.month}/{day.day}"
        return day.isoformat()
    if name == "weekday":
        return rng.choice(blocks["weekdays"])
    if name == "time":
        hour = ri(0, 23)
        if rng.random() < 0.5:
            return f"{hour:02d}:{ri(0, 59):02d}"
        return f"{(hour % 12) or 12}:{ri(0, 59):02d} {'am' if hour < 12 else 'pm'}"
    if name == "company":
        return rng.choice(blocks["companies"])
    if name == "company_slug":
        return rng.choice(blocks["companies"]).lower().replace(" & ", "-").replace(" ", "-")
    if name == "role":
        return rng.choice(blocks["roles"])
    if name == "city":
        return rng.choice(blocks["cities"])
    if name == "country":
        return rng.choice(blocks["countries"])
    if name == "device":
        return rng.choice(blocks["devices"])
    if name == "os":
        return rng.choice(blocks["oses"])
    if name == "browser":
        return rng.choice(blocks["browsers"])
    if name == "app_version":
        return f"9.{ri(28, 34)}.{ri(100, 999)}"
    if name == "store":
        return rng.choice(blocks["stores"])
    if name == "case":
        number = ri(88000, 103000)
        return rng.choice([f"ZD-{number}", f"#{number}", f"case {number}"])
    if name == "invoice":
        return str(ri(10_000_000, 99_999_999))
    if name == "agent":
        return rng.choice(blocks["agents"])
    if name == "errcode":
        return rng.choice(blocks["error_codes"]).format(a=ri(1, 9), b=ri(0, 9))
    if name == "size":
        return f"{ri(1, 9)}.{ri(0, 9)} MB"
    if name == "spam_domain":
        return rng.choice(blocks["spam_domains"])
    if name == "spam_slug":
        return f"hr-{rng.choice(blocks['first_names'])}-{ri(1000, 99999)}"
    if name == "user_slug":
        first, last = rng.choice(blocks["first_names"]), rng.choice(blocks["last_names"])
        return f"{first}-{last}-{ri(10, 999)}"
    if name == "accent_name":
        return rng.choice(blocks["accent_names"])
    if name == "gibberish":
        return _gibberish(rng)
    raise KeyError(f"unknown placeholder {{{name}}} in demo building blocks")


# Slots that name one thing per text: the same company or phone model throughout a message.
_STICKY_SLOTS = {"company", "company_slug", "role", "city", "country", "device", "os", "browser",
                 "app_version", "plan", "agent", "store", "contacts", "accent_name"}


def _platform_family(name: str) -> str:
    if name.startswith(("iPhone", "iPad", "iOS")):
        return "apple"
    if name.startswith(("Windows", "macOS")):
        return "desktop"
    return "android"


def _fill(
    template: str,
    rng: random.Random,
    created: datetime,
    sticky: dict[str, str],
    blocks: Blocks = BLOCKS,
) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in _STICKY_SLOTS:
            return _slot_value(name, rng, created, blocks)
        if name not in sticky:
            # An iPhone runs iOS: pick the second of device/OS to match the first.
            partner = {"os": "device", "device": "os"}.get(name)
            family = _platform_family(sticky[partner]) if partner in sticky else "desktop"
            if family != "desktop":
                pool = blocks["oses"] if name == "os" else blocks["devices"]
                sticky[name] = rng.choice([x for x in pool if _platform_family(x) == family])
            else:
                sticky[name] = _slot_value(name, rng, created, blocks)
        return sticky[name]

    return _SLOT.sub(value, template)


def _gibberish(rng: random.Random) -> str:
    letters = "asdfghjklqwertyuiopzxcvbnm"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 7)))
             for _ in range(rng.randint(1, 4))]
    return " ".join(words)


def _typo(text: str, rng: random.Random) -> str:
    """Swap or drop a letter in one or two longer words, as hurried typing does."""
    words = text.split(" ")
    candidates = [
        i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha() and word.islower()
    ]
    for _ in range(rng.choice([1, 1, 2])):
        if not candidates:
            break
        i = rng.choice(candidates)
        word = words[i]
        j = rng.randrange(1, len(word) - 1)
        if rng.random() < 0.5:
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:]
        else:
            words[i] = word[:j] + word[j + 1:]
    return " ".join(words)


def _join(parts: list[str]) -> str:
    """Join sentences, ending the ones that lack it with a full stop (tweets keep theirs bare)."""
    out = []
    for i, part in enumerate(parts):
        if i < len(parts) - 1 and part and part[-1] not in ".!?:)":
            part += "."
        out.append(part)
    return " ".join(out)


@dataclass
class Draft:
    """One composed text: a ticket's body and subject, or a post (no subject), and its PII."""

    text: str
    subject: str
    pii: list[str]
    # a sentence picked twice (a detail that is also the core): the texts in other
    # languages, with fewer sentences to pick from, are re-drawn when it happens
    repeats: bool = False


def compose(
    theme: Theme,
    rng: random.Random,
    created: datetime,
    social: bool,
    channel: str,
    angry: bool,
    blocks: Blocks = BLOCKS,
) -> Draft:
    """Write one text for a theme: picks, orders and perturbs building blocks.

    `theme` and `blocks` are English unless a language's (`pulse.demo.corpus.LANGUAGES`)
    are given: the same picks then write the same kind of text in that language.
    """
    parts: list[str] = []
    caps_rate = 0.18 if angry else 0.06
    complaint = theme.is_complaint
    pool_cores = list(theme.cores)
    if angry:
        pool_cores += blocks["surge_lines"]

    platform = channel
    if social and not complaint:
        # Praise and noise are one thought; a second sentence reads as stitched together.
        use_social = theme.key == "noise" or rng.random() < 0.55
        parts.append(rng.choice(theme.social if use_social else theme.cores))
    elif social:
        if rng.random() < 0.55:
            base = rng.choice(theme.social + (blocks["surge_social"] if angry else []))
        elif theme.sarcasm and not angry and rng.random() < 0.2:
            base = rng.choice(theme.sarcasm)
        else:
            base = rng.choice(pool_cores)
        parts.append(base)
        if platform != "twitter" or rng.random() < 0.3:
            parts.append(rng.choice(theme.details + pool_cores))
        if angry and rng.random() < 0.8:
            parts.append(rng.choice(blocks["angry_social_tails"]))
        if platform == "forum" and rng.random() < 0.6 and theme.details:
            parts.append(rng.choice(theme.details))
            if complaint and rng.random() < 0.5:
                parts.append(rng.choice(blocks["forum_asks"]))
    else:
        length = rng.choices([1, 2, 3, 4], weights=[22, 34, 28, 16])[0]
        if not complaint:
            length = min(length, 2)
        if angry and rng.random() < 0.75:
            parts.append(rng.choice(blocks["angry_openers"]))
        elif complaint and rng.random() < 0.35:
            parts.append(rng.choice(blocks["complaint_openers"] + theme.openers))
        cores = rng.sample(pool_cores, k=min(len(pool_cores), 1 + (length >= 3)))
        if theme.sarcasm and not angry and rng.random() < 0.1:
            cores[0] = rng.choice(theme.sarcasm)
        parts.extend(cores)
        if theme.details:
            parts.extend(rng.sample(theme.details, k=min(len(theme.details),
                                                        (length >= 2) + (length >= 4))))
        if angry and rng.random() < 0.8:
            parts.append(rng.choice(blocks["angry_closers"]))
        elif complaint and rng.random() < 0.5:
            parts.append(rng.choice(theme.closers + blocks["complaint_closers"]))
        elif not complaint and theme.closers and rng.random() < 0.4:
            parts.append(rng.choice(theme.closers))

    sticky: dict[str, str] = {}
    repeats = len(set(parts)) < len(parts)
    parts = [_fill(part, rng, created, sticky, blocks) for part in parts]

    if complaint and theme.caps and rng.random() < caps_rate:
        if rng.random() < 0.5:
            i = rng.randrange(len(parts))
            parts[i] = parts[i].upper()
        else:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(theme.caps) + "!!!")

    pii: list[str] = []
    if rng.random() < 0.05:
        sentence, pii = support_pii_sentence(rng, social, blocks["pii_phrases"])
        parts.insert(len(parts) if rng.random() < 0.7 else 0, sentence)

    if rng.random() < (0.3 if angry else 0.18):
        i = rng.randrange(len(parts))
        parts[i] = _typo(parts[i], rng)

    if social:
        text = _join(parts)
        if complaint and "@ProNetHelp" not in text and platform == "twitter":
            if rng.random() < 0.45:
                text = "@ProNetHelp " + text
        if rng.random() < 0.12:
            other = member_handle(rng)
            # replace, not format: a member's text may hold braces
            text = rng.choice(blocks["tagalongs"]).replace("{other}", other).replace("{text}", text)
        if platform == "twitter" and rng.random() < 0.3 and theme.key != "noise":
            tags = blocks["hashtags"] if complaint else blocks["praise_hashtags"]
            text += " " + " ".join(rng.sample(tags, k=rng.randint(1, 2)))
        emoji_pool = (blocks["negative_emoji"] if complaint
                      else blocks["positive_emoji"] if theme.key == "praise"
                      else blocks["noise_emoji"])
        if rng.random() < (0.65 if angry else 0.45):
            text += " " + "".join(rng.choice(emoji_pool) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.35:
            text = text[0].lower() + text[1:]
        return Draft(text=text, subject="", pii=pii, repeats=repeats)

    body = _join(parts)
    if channel == "chat":
        # Chat openers are typed into a widget: short, informal, no letter layout.
        if rng.random() < 0.4:
            body = rng.choice(blocks["chat_greetings"]) + " " + body
        if rng.random() < 0.3:
            body = body[0].lower() + body[1:]
    else:
        if len(parts) >= 3 and rng.random() < 0.5:
            split = rng.randint(1, len(parts) - 1)
            body = _join(parts[:split] + [""])[:-1].rstrip() + "\n\n" + _join(parts[split:])
        if theme.key != "noise" and rng.random() < 0.45:
            body = rng.choice(blocks["greetings"]) + ("\n\n" if rng.random() < 0.7 else " ") + body
        if rng.random() < (0.45 if channel == "email" else 0.2) and theme.key != "noise":
            name = rng.choice(blocks["first_names"]).capitalize()
            body += f"\n\n{rng.choice(blocks['signoffs'])}\n{name}"
        if channel in ("email", "mobile") and rng.random() < 0.07:
            body += "\n\n" + rng.choice(blocks["mobile_footers"])

    subject = _fill(rng.choice(theme.subjects), rng, created, sticky, blocks)
    roll = rng.random()
    if roll < 0.08 and complaint:
        subject = blocks["urgent_prefix"] + subject
    elif roll < 0.14:
        subject = "Re: " + subject
    elif roll < 0.2:
        subject = subject.lower()
    elif roll < 0.24 and complaint:
        subject += "!!!"
    return Draft(text=body, subject=subject, pii=pii, repeats=repeats)

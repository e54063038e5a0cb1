"""Fake personal data, in one place: values no real person owns, in the formats people write.

- `everyday`: the formats members most often type, for the demo's texts
  (`support_pii_sentence`, `member_handle`) and bench/ingest.py (`numbered_pii_sentence`);
- `formats`: every format redaction must catch, for the redaction corpus
  (scripts/make_pii_corpus.py, tests/data/pii_corpus.jsonl).

Every function draws only from the random generator it is given, so what it writes is
byte-identical from one run to the next.
"""

from pulse.demo.fake_pii.everyday import (
    member_handle,
    numbered_pii_sentence,
    support_card,
    support_email,
    support_phone,
    support_pii_sentence,
)
from pulse.demo.fake_pii.formats import luhn_complete, luhn_ok

__all__ = [
    "luhn_complete",
    "luhn_ok",
    "member_handle",
    "numbered_pii_sentence",
    "support_card",
    "support_email",
    "support_phone",
    "support_pii_sentence",
]

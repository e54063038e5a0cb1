"""What each kind of personal data is replaced by, and the brand handles kept by default."""

from __future__ import annotations

#: No handle is a brand's unless the caller says so (settings' `brand_handles`; the demo
#: names its own): a private handle left visible would be a leak, a brand's masked is not.
DEFAULT_BRAND_HANDLES: tuple[str, ...] = ()

KINDS: tuple[str, ...] = (
    "email",
    "card",
    "iban",
    "ssn",
    "phone",
    "address",
    "handle",
    "profile",
    "ip",
    "dob",
    "id",
    "name",
)

TOKENS: dict[str, str] = {
    "email": "[email]",
    "card": "[card]",
    "iban": "[iban]",
    "ssn": "[ssn]",
    "phone": "[phone]",
    "address": "[address]",
    "handle": "@[user]",
    "profile": "[user]",
    "ip": "[ip]",
    "dob": "[dob]",
    "id": "[id]",
    "name": "[name]",
}

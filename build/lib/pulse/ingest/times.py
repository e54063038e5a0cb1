"""Timestamps of real exports: what parses without being told, and how a mapping names the rest.

With no option, the unambiguous forms parse: ISO 8601 (a four-digit year first, `T` or a
space, `Z`, `±HH:MM`, `±HHMM` or ` ±HHMM`, fractions, or a date alone), RFC 2822 e-mail
dates and X/Twitter's `Wed Oct 10 20:19:24 +0000 2018`. Forms a machine cannot read
without guessing (day/month order, two-digit years, epoch numbers) are never guessed: the
mapping names them (`created_at_format`, `created_at_unit`), and a value that matches
nothing is rejected with a reason that shows it and suggests the key to set.

Every form is screened by a regular expression before DuckDB parses it, because DuckDB's
own readers are lenient: a cast reads `22-04-15` as the year 22 and `%Y` matches two
digits. Times without an offset are read in the session's time zone, which the loader sets
to the mapping's `timezone` (default: the settings' zone) for the length of the file.
"""

from __future__ import annotations

import re

#: Offsets beyond ±14:00 exist nowhere on Earth (UTC+14 is the furthest); a larger one is a
#: typo that would silently move the time by a day.
MAX_OFFSET_MINUTES = 14 * 60

_TWITTER = r"^[A-Za-z]{3} [A-Za-z]{3} \d{1,2} \d{1,2}:\d{2}:\d{2} [+-]\d{4} \d{4}$"
_RFC2822 = (
    r"^(?:[A-Za-z]{3},\s*)?\d{1,2} [A-Za-z]{3} \d{4} \d{1,2}:\d{2}(?::\d{2})?"
    r" (?:[+-]\d{4}|GMT|UTC?|Z)$"
)
#: The offset written after a time (its only capturing group), in every default form.
_OFFSET_AFTER_TIME = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*([+-]\d\d(?::?\d\d)?)\b"
_RFC2822_FORMATS = [
    "%a, %d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M:%S %z",
    "%a, %d %b %Y %H:%M %z",
    "%d %b %Y %H:%M %z",
]

_DIRECTIVE_PATTERNS = {
    "a": r"[A-Za-z]{3}",
    "A": r"[A-Za-z]{6,9}",
    "b": r"[A-Za-z]{3}",
    "B": r"[A-Za-z]{3,9}",
    "d": r"\d{1,2}",
    "m": r"\d{1,2}",
    "H": r"\d{1,2}",
    "I": r"\d{1,2}",
    "M": r"\d{2}",
    "S": r"\d{2}",
    "j": r"\d{1,3}",
    "y": r"\d{2}",
    "Y": r"\d{4}",
    "p": r"[AaPp][Mm]",
    # the only capturing group: the offset, checked against MAX_OFFSET_MINUTES
    "z": r"((?:[+-]\d{2}:?\d{2})|Z)",
    "Z": r"[A-Za-z]{1,5}",
    "f": r"\d{1,9}",
    "%": "%",
}


def pattern_regex(pattern: str) -> str:
    """A strptime pattern as a regular expression that matches exactly what it should.

    `%Y` is four digits and `%y` two, so a list of patterns tried in order picks the one
    the value really has (`["%Y-%m-%d", "%d-%m-%y"]` reads `22-04-15` as 22 April 2015).
    A space matches one or more spaces. Only `%z` captures (the offset).
    """
    parts = ["^"]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "%" and index + 1 < len(pattern):
            parts.append(_DIRECTIVE_PATTERNS[pattern[index + 1]])
            index += 2
            continue
        parts.append(" +" if char == " " else re.escape(char))
        index += 1
    parts.append("$")
    return "".join(parts)


# `_pulse_offset_minutes` below is the macro of queries/ingest/ingest_offset_minutes_macro.sql,
# which the loader creates (temporary) once per load.
def timestamp_sql(
    value: str, formats: tuple[str, ...], unit: str | None, key: str, params: dict
) -> tuple[str, str]:
    """SQL for (the parsed timestamptz, its offset in minutes) of the text expression `value`.

    `key` prefixes the `$name` parameters this adds to `params`; patterns and regular
    expressions are always parameters, never pasted into the SQL.
    """
    if unit:
        params[f"{key}_epoch_divisor"] = 1000.0 if unit == "ms" else 1.0
        params[f"{key}_epoch_max"] = 1e11 if unit == "s" else 1e14
        number = f"try_cast({value} as double)"
        parsed = (
            f"case when isfinite({number}) and abs({number}) < ${key}_epoch_max "
            f"then to_timestamp({number} / ${key}_epoch_divisor) end"
        )
        return parsed, "0"
    if formats:
        branches = []
        offsets = []
        for index, pattern in enumerate(formats):
            params[f"{key}_re_{index}"] = pattern_regex(pattern)
            params[f"{key}_fmt_{index}"] = pattern
            matches = f"regexp_full_match({value}, ${key}_re_{index})"
            branches.append(f"when {matches} then try_strptime({value}, ${key}_fmt_{index})")
            if "%z" in pattern:
                offsets.append(
                    f"when {matches} then "
                    f"_pulse_offset_minutes(regexp_extract({value}, ${key}_re_{index}, 1))"
                )
        parsed = f"case {' '.join(branches)} end"
        offset = f"case {' '.join(offsets)} else 0 end" if offsets else "0"
        return parsed, offset
    params[f"{key}_twitter"] = _TWITTER
    params[f"{key}_rfc"] = _RFC2822
    params[f"{key}_rfc_formats"] = _RFC2822_FORMATS
    params[f"{key}_offset"] = _OFFSET_AFTER_TIME
    # A year first (2015-04-08, 2015/04/08) is the one written-out form that cannot be read
    # two ways; DuckDB's cast parses it (a cheap string test guards the cast, which would
    # read "22-04-15" as the year 22). ' -0800' after the time is attached for the cast.
    year_first = (
        f"(substr({value}, 5, 1) in ('-', '/') "
        f"and try_cast(left({value}, 4) as integer) is not null)"
    )
    attached = f"regexp_replace({value}, '\\s+([+-]\\d)', '\\1')"
    rfc_text = f"regexp_replace({value}, ' (GMT|UTC?|Z)$', ' +0000')"
    parsed = (
        f"case when {year_first} then coalesce(try_cast({value} as timestamptz), "
        f"try_cast({attached} as timestamptz)) "
        f"when regexp_full_match({value}, ${key}_twitter) "
        f"then try_strptime({value}, '%a %b %d %H:%M:%S %z %Y') "
        f"when regexp_full_match({value}, ${key}_rfc) "
        f"then try_strptime({rfc_text}, ${key}_rfc_formats) end"
    )
    # Only a value with a sign after its date part can carry an offset worth checking.
    offset = (
        f"case when contains(substr({value}, 11), '+') or contains(substr({value}, 11), '-') "
        f"then _pulse_offset_minutes(regexp_extract({value}, ${key}_offset, 1)) else 0 end"
    )
    return parsed, offset


# ----------------------------------------------------------------------------- reasons

_DATE_PART = re.compile(
    r"^(?P<a>\d{1,4})(?P<sep>[-./])(?P<b>\d{1,2}|[A-Za-z]{3,9})(?P=sep)(?P<c>\d{1,4})(?P<rest>.*)$"
)
_TIME_PART = re.compile(
    r"^(?P<space>[ T]+)\d{1,2}:\d{2}(?P<sec>:\d{2})?(?P<frac>\.\d+)?\s*(?P<ampm>[AaPp][Mm])?"
    r"\s*(?P<zone>[+-]\d{2}:?\d{2}|Z)?$"
)


def suggest_format(value: str) -> str | None:
    """A strptime pattern with the shape of `value`, to show in a rejection's reason.

    It only shows the shape (where the day, month and year sit, and how many digits the
    year has); when the first two numbers could be either day or month, day-first is shown
    and the reason says to check it.
    """
    text = value.strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return None
    match = _DATE_PART.match(text)
    if not match:
        return None
    a, sep, b, c, rest = match["a"], match["sep"], match["b"], match["c"], match["rest"]
    year_of = {2: "%y", 4: "%Y"}
    if b.isalpha():
        month = "%b" if len(b) == 3 else "%B"
        if len(a) <= 2 and len(c) in year_of:
            date = f"%d{sep}{month}{sep}{year_of[len(c)]}"
        elif len(a) == 4 and len(c) <= 2:
            date = f"%Y{sep}{month}{sep}%d"
        else:
            return None
    elif len(a) == 4:
        date = f"%Y{sep}%m{sep}%d"
    elif len(c) in year_of and len(a) <= 2:
        first, second = ("%m", "%d") if int(b) > 12 else ("%d", "%m")
        date = f"{first}{sep}{second}{sep}{year_of[len(c)]}"
    else:
        return None
    if not rest:
        return date
    time = _TIME_PART.match(rest)
    if not time:
        return None
    clock = "%I" if time["ampm"] else "%H"
    pattern = f"{date}{'T' if 'T' in time['space'] else ' '}{clock}:%M"
    if time["sec"]:
        pattern += ":%S"
    if time["frac"]:
        pattern += ".%f"
    if time["ampm"]:
        pattern += " %p"
    if time["zone"]:
        pattern += " %z" if rest.rstrip()[-len(time["zone"]) - 1] == " " else "%z"
    return pattern


def explain_unparseable(field: str, value: str, has_format: bool) -> str:
    """Why a timestamp matched nothing, and the mapping key that fixes it (the caller shows it)."""
    if re.fullmatch(r"-?\d{9,13}(\.\d+)?", value.strip()):
        unit = "ms" if len(value.strip().split(".")[0].lstrip("-")) >= 12 else "s"
        return f'a number: if it is epoch time, set {field}_unit = "{unit}" in the mapping'
    if has_format:
        return f"matches none of the mapping's {field}_format patterns; add its pattern"
    suggestion = suggest_format(value)
    if suggestion is None:
        return (
            "not an ISO 8601, RFC 2822 or X/Twitter date; name its strptime pattern in the "
            f'mapping, e.g. {field}_format = "%d/%m/%Y %H:%M"'
        )
    numbers = re.match(r"^\s*(\d{1,2})[-./](\d{1,2})[-./](\d+)", value)
    ambiguous = bool(numbers) and (
        len(numbers[3]) == 2 or max(int(numbers[1]), int(numbers[2])) <= 12
    )
    fix = f'not an ISO date: name its pattern in the mapping, e.g. {field}_format = "{suggestion}"'
    return fix + (" (check the order of day, month and year)" if ambiguous else "")

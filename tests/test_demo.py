"""The demo generator: deterministic files whose planted story matches truth.json."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from pulse.demo import TICKET_COLUMNS, generate_demo
from pulse.demo.volumes import poisson, weekly_counts
from pulse.errors import PulseError
from pulse.weeks import IsoWeek

ANCHOR = IsoWeek(2026, 46)
SCALE = 0.3
FILES = ("tickets.csv", "social.jsonl", "truth.json")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out_dir = tmp_path_factory.mktemp("demo")
    truth = generate_demo(out_dir, anchor=ANCHOR, scale=SCALE)
    with (out_dir / "tickets.csv").open(encoding="utf-8", newline="") as handle:
        tickets = list(csv.DictReader(handle))
    lines = (out_dir / "social.jsonl").read_text(encoding="utf-8").splitlines()
    posts = [json.loads(line) for line in lines]
    docs = [(row["ticket_id"], row["created_at"], row["body"]) for row in tickets]
    docs += [(post["post_id"], post["created_at"], post["text"]) for post in posts]
    return {"dir": out_dir, "truth": truth, "tickets": tickets, "posts": posts, "docs": docs}


def _parse(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")


def _week_counts(demo: dict) -> dict[str, Counter]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for doc_id, created_at, _text in demo["docs"]:
        week = str(IsoWeek.of(_parse(created_at).date()))
        counts[demo["truth"]["doc_theme"][doc_id]][week] += 1
    return counts


def test_two_runs_with_the_same_arguments_write_byte_identical_files(demo, tmp_path):
    generate_demo(tmp_path, anchor=ANCHOR, scale=SCALE)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (demo["dir"] / name).read_bytes(), name


def test_a_different_seed_writes_different_files(demo, tmp_path):
    generate_demo(tmp_path, anchor=ANCHOR, scale=SCALE, seed=7)
    for name in FILES:
        assert (tmp_path / name).read_bytes() != (demo["dir"] / name).read_bytes(), name


def test_truth_has_twelve_complaint_themes_plus_praise_and_noise_and_each_has_texts(demo):
    themes = demo["truth"]["themes"]
    complaints = [key for key, theme in themes.items() if theme["is_complaint"]]
    assert len(complaints) >= 12
    assert themes["praise"]["is_complaint"] is False
    assert themes["noise"]["is_complaint"] is False
    assert set(demo["truth"]["doc_theme"].values()) == set(themes)
    assert all(theme["name"] and len(theme["keywords"]) >= 3 for theme in themes.values())


def test_every_channel_tier_and_platform_appears(demo):
    assert {row["channel"] for row in demo["tickets"]} == {"email", "web", "mobile", "chat"}
    assert {row["member_tier"] for row in demo["tickets"]} == {"free", "premium", "recruiter"}
    assert {post["platform"] for post in demo["posts"]} == {"twitter", "facebook", "forum"}


def test_channel_and_tier_mix_depend_on_the_theme(demo):
    theme_of = demo["truth"]["doc_theme"]
    by_theme: dict[str, list[dict]] = defaultdict(list)
    for row in demo["tickets"]:
        by_theme[theme_of[row["ticket_id"]]].append(row)

    def share(theme: str, column: str, value: str) -> float:
        rows = by_theme[theme]
        return sum(row[column] == value for row in rows) / len(rows)

    overall_mobile = sum(r["channel"] == "mobile" for r in demo["tickets"]) / len(demo["tickets"])
    assert 0.3 <= overall_mobile <= 0.5
    assert share("mobile_app_crash", "channel", "mobile") > 0.7
    assert share("premium_billing", "member_tier", "free") < 0.35
    overall_recruiter = sum(r["member_tier"] == "recruiter" for r in demo["tickets"]) / len(
        demo["tickets"]
    )
    assert share("search_recruiter_tools", "member_tier", "recruiter") > 2 * overall_recruiter


def test_every_text_falls_in_a_truth_week_and_the_weeks_end_at_the_anchor(demo):
    truth = demo["truth"]
    assert truth["anchor_week"] == str(ANCHOR)
    assert truth["weeks"][-1] == str(ANCHOR) and len(truth["weeks"]) == 12
    assert truth["weeks"] == [str(ANCHOR.shift(offset)) for offset in range(-11, 1)]
    counts = _week_counts(demo)
    for week in truth["weeks"]:
        for theme, expected in truth["counts"][week].items():
            assert counts[theme][week] == expected, (theme, week)
    assert len(truth["doc_theme"]) == len(demo["docs"])


def test_the_surging_theme_quadruples_in_the_anchor_week(demo):
    truth = demo["truth"]
    series = [truth["counts"][week][truth["surging_theme"]] for week in truth["weeks"]]
    baseline = sum(series[:-1]) / len(series[:-1])
    assert 3.3 * baseline <= series[-1] <= 5 * baseline


def test_the_fading_theme_falls_to_at_most_35_percent_of_its_early_level(demo):
    truth = demo["truth"]
    series = [truth["counts"][week][truth["fading_theme"]] for week in truth["weeks"]]
    early = sum(series[:8]) / 8
    assert series[-1] <= 0.35 * early
    assert sum(series[8:]) / 4 < early  # a fall over weeks, not a one-week dip


def test_stable_themes_show_no_planted_jump_in_the_anchor_week(demo):
    truth = demo["truth"]
    for theme in truth["themes"]:
        if theme in (truth["surging_theme"], truth["fading_theme"]):
            continue
        series = [truth["counts"][week][theme] for week in truth["weeks"]]
        baseline = sum(series[:-1]) / len(series[:-1])
        # Poisson noise only: the anchor stays within a few standard deviations of the mean.
        assert series[-1] < baseline + 3.5 * baseline**0.5, theme


def test_the_surging_theme_reads_more_negative_in_the_anchor_week(demo):
    analyzer = SentimentIntensityAnalyzer()
    truth = demo["truth"]
    anchor_start = datetime.combine(ANCHOR.monday, datetime.min.time())
    anchor_scores, earlier_scores = [], []
    for doc_id, created_at, text in demo["docs"]:
        if truth["doc_theme"][doc_id] != truth["surging_theme"]:
            continue
        score = analyzer.polarity_scores(text)["compound"]
        (anchor_scores if _parse(created_at) >= anchor_start else earlier_scores).append(score)
    anchor_mean = sum(anchor_scores) / len(anchor_scores)
    earlier_mean = sum(earlier_scores) / len(earlier_scores)
    assert anchor_mean < earlier_mean - 0.15


def test_within_each_theme_at_least_85_percent_of_texts_are_distinct(demo):
    texts: dict[str, list[str]] = defaultdict(list)
    for doc_id, _created_at, text in demo["docs"]:
        texts[demo["truth"]["doc_theme"][doc_id]].append(text)
    for theme, theme_texts in texts.items():
        assert len(set(theme_texts)) >= 0.85 * len(theme_texts), theme


def test_one_text_in_ten_is_french_german_spanish_or_portuguese_and_one_theme_mostly(demo):
    truth = demo["truth"]
    languages = truth["doc_language"]
    assert set(languages) == set(truth["doc_theme"])
    assert set(languages.values()) == set(truth["languages"]) == {"en", "fr", "de", "es", "pt"}
    assert 0.08 <= sum(code != "en" for code in languages.values()) / len(languages) <= 0.12
    theme = truth["multilingual_theme"]
    assert truth["themes"][theme]["is_complaint"] and theme != truth["surging_theme"]
    in_theme = Counter(code for doc, code in languages.items() if truth["doc_theme"][doc] == theme)
    assert in_theme["en"] < 0.35 * in_theme.total()
    assert min(in_theme.values()) >= 20, in_theme  # enough of each to tell one issue from two
    # other themes have a few, so a language is not a topic of its own
    others = Counter(truth["doc_theme"][doc] for doc, code in languages.items() if code != "en")
    del others[theme]
    assert len(others) >= 5 and others.total() >= 0.2 * in_theme.total()


def test_texts_in_other_languages_replace_english_ones_and_leave_the_rest_as_it_was(
    demo, tmp_path
):
    # Every text is drafted in English first; a text drawn to another language is written
    # anew by a generator of its own, so the English texts, ids, times and counts stay,
    # and `other_languages=False` (bench/pipeline.py's English corpus) gives them all.
    english = generate_demo(tmp_path, anchor=ANCHOR, scale=SCALE, other_languages=False)
    assert set(english["doc_language"].values()) == {"en"}
    assert english["doc_theme"] == demo["truth"]["doc_theme"]
    assert english["counts"] == demo["truth"]["counts"]
    with (tmp_path / "tickets.csv").open(encoding="utf-8", newline="") as handle:
        english_rows = {row["ticket_id"]: row for row in csv.DictReader(handle)}
    lines = (tmp_path / "social.jsonl").read_text(encoding="utf-8").splitlines()
    english_posts = {post["post_id"]: post for post in map(json.loads, lines)}
    language = demo["truth"]["doc_language"]
    for row in demo["tickets"]:
        same = row == english_rows[row["ticket_id"]]
        assert same == (language[row["ticket_id"]] == "en"), row["ticket_id"]
    for post in demo["posts"]:
        other = english_posts[post["post_id"]]
        assert {k: v for k, v in post.items() if k not in ("text", "url")} == {
            k: v for k, v in other.items() if k not in ("text", "url")
        }
        assert (post["text"] == other["text"]) == (language[post["post_id"]] == "en")


def test_texts_vary_from_short_posts_to_multi_sentence_emails(demo):
    lengths = sorted(len(text.split()) for _doc_id, _created_at, text in demo["docs"])
    assert lengths[0] <= 8
    assert lengths[-1] >= 60
    assert any("\n" in row["body"] for row in demo["tickets"])
    assert any('"' in row["body"] or "'" in row["body"] for row in demo["tickets"])
    assert any("@ProNetHelp" in post["text"] for post in demo["posts"])


def test_personal_data_is_planted_in_a_few_percent_of_texts(demo):
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    phone = re.compile(r"\+?\d[\d ().-]{8,}\d")
    card = re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b")
    text_of = {doc_id: text for doc_id, _created_at, text in demo["docs"]}
    planted = demo["truth"]["pii"]
    assert 0.02 <= len(planted) / len(text_of) <= 0.1
    patterns = {"email": email, "phone": phone, "card": card}
    for doc_id, kinds in planted.items():
        for kind in kinds:
            assert patterns[kind].search(text_of[doc_id]), (doc_id, kind)
    assert any(email.search(text) for text in text_of.values())
    assert any(phone.search(text) for text in text_of.values())


def test_csat_nps_and_timings_stay_in_range(demo):
    csat = [int(row["csat"]) for row in demo["tickets"] if row["csat"]]
    nps = [int(row["nps"]) for row in demo["tickets"] if row["nps"]]
    assert set(csat) <= set(range(1, 6)) and set(nps) <= set(range(0, 11))
    assert 0.45 <= len(csat) / len(demo["tickets"]) <= 0.65
    assert 0.12 <= len(nps) / len(demo["tickets"]) <= 0.28
    for row in demo["tickets"]:
        assert _parse(row["updated_at"]) >= _parse(row["created_at"])
        assert int(row["first_response_minutes"]) >= 1
        assert row["is_escalated"] in ("true", "false")
        assert (row["resolution_minutes"] == "") == (row["status"] in ("open", "pending"))


def test_severe_themes_score_lower_csat_than_mild_ones(demo):
    theme_of = demo["truth"]["doc_theme"]
    scores: dict[str, list[int]] = defaultdict(list)
    for row in demo["tickets"]:
        if row["csat"]:
            scores[theme_of[row["ticket_id"]]].append(int(row["csat"]))

    def mean(theme: str) -> float:
        return sum(scores[theme]) / len(scores[theme])

    assert mean("hacked_account") < mean("notification_spam") < mean("praise")
    assert mean("restricted_account") < mean("profile_edit_fails")


def test_ids_and_urls_look_like_their_sources(demo):
    ticket_ids = [row["ticket_id"] for row in demo["tickets"]]
    post_ids = [post["post_id"] for post in demo["posts"]]
    assert len(set(ticket_ids)) == len(ticket_ids) and len(set(post_ids)) == len(post_ids)
    assert all(re.fullmatch(r"ZD-\d{6}", ticket_id) for ticket_id in ticket_ids)
    for post in demo["posts"]:
        assert re.fullmatch(r"(tw|fb|forum)-[\d_]+", post["post_id"])
        assert post["url"].startswith("https://")
        assert post["author_handle"].startswith("@") and "ProNet" not in post["author_handle"]
        assert isinstance(post["reach"], int) and post["reach"] >= 1
    reaches = sorted(post["reach"] for post in demo["posts"])
    assert reaches[-1] > 20 * reaches[len(reaches) // 2]  # heavy-tailed


def test_tickets_csv_parses_with_the_csv_module_and_with_duckdb(demo):
    path = demo["dir"] / "tickets.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == TICKET_COLUMNS
        rows = list(reader)
    assert all(len(row) == len(TICKET_COLUMNS) for row in rows)
    relation = duckdb.read_csv(str(path))
    assert relation.columns == TICKET_COLUMNS
    count, distinct_ids, bodies_with_newlines = duckdb.sql(
        "select count(*), count(distinct ticket_id), count(*) filter (where body like '%\n%') "
        "from relation"
    ).fetchall()[0]
    assert count == distinct_ids == len(rows)
    assert bodies_with_newlines == sum("\n" in row[6] for row in rows) > 0


def test_every_theme_has_at_least_three_texts_in_a_normal_week_at_quarter_scale(tmp_path):
    truth = generate_demo(tmp_path, anchor=ANCHOR, scale=0.25, seed=3)
    for week in truth["weeks"][:8]:
        for theme, count in truth["counts"][week].items():
            assert count >= 3, (week, theme)


def test_too_few_weeks_or_a_non_positive_scale_is_a_user_error(tmp_path: Path):
    with pytest.raises(PulseError, match="weeks"):
        generate_demo(tmp_path, anchor=ANCHOR, weeks=2)
    with pytest.raises(PulseError, match="scale"):
        generate_demo(tmp_path, anchor=ANCHOR, scale=0)


def test_separate_processes_with_different_hash_seeds_write_identical_files(tmp_path):
    outputs = []
    for hash_seed in ("1", "4242"):
        out_dir = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pulse.demo",
                str(out_dir),
                "--anchor",
                str(ANCHOR),
                "--scale",
                "0.25",
            ],
            check=True,
            env=env,
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
        )
        outputs.append([(out_dir / name).read_bytes() for name in FILES])
    assert outputs[0] == outputs[1]


def test_weekly_counts_follow_large_means_instead_of_hanging():
    # Weekly means past ~745 once underflowed Knuth's method: every draw came out near 745
    # and the redraw loop for stable themes never ended (a 1M-text corpus hung).
    rng = random.Random(3)
    draws = [poisson(rng, 2_000.0) for _ in range(300)]
    assert abs(statistics.mean(draws) - 2_000) < 15  # standard error 2.6
    assert 30 < statistics.stdev(draws) < 60  # Poisson: sqrt(2000) = 44.7
    counts = weekly_counts(random.Random(4), weeks=8, scale=40.0)  # means up to 2,000
    assert all(count > 0 for series in counts.values() for count in series)


def test_post_ids_stay_unique_when_a_platforms_ids_for_one_minute_run_out():
    # A forum has about 60 ids a minute; bench/pipeline.py's million texts put more posts
    # than that near one minute, where drawing ids again and again never ended.
    from pulse.demo.generate import _assign_post_ids

    created = datetime(2026, 11, 10, 9, 30)
    posts = [(created, {"platform": "forum"}, "theme") for _ in range(500)]
    ids = _assign_post_ids(random.Random(1), posts)
    assert len(set(ids)) == 500
    assert all(i.startswith("forum-") for i in ids)

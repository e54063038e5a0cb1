-- Rules several queries share, written once as DuckDB macros. Run at every connect like the
-- rest of queries/schema/ (create or replace: idempotent). DuckDB binds a macro's body when
-- it is created, so a schema file that calls one must sort after this one.

-- The ISO week ('2026-W46') a stored UTC timestamp falls in, on the clock of time zone tz:
-- the week every count of the report is made by (pulse.weeks.IsoWeek names the same weeks).
create or replace macro local_week(created_at, tz) as
    strftime(timezone(tz, created_at at time zone 'UTC'), '%G-W%V');

-- Whether a topic of this status is shown in reports: only CX ops' "hide" takes one out (a
-- topic without a status is active).
create or replace macro is_shown(status) as
    coalesce(status, 'active') <> 'hidden';

-- The exact binomial chance of k or fewer successes in n trials of chance q (0 for k < 0):
-- the ranking's praise test reads its lower tail, the share tests one minus it.
create or replace macro binomial_cdf(k, n, q) as
    coalesce(list_sum(list_transform(range(k + 1), lambda i:
        exp(lgamma(n + 1) - lgamma(i + 1) - lgamma(n - i + 1)
            + i * ln(greatest(q, 1e-300)) + (n - i) * ln(greatest(1 - q, 1e-300))))), 0);

-- A text's place among a topic's quotes, best first when sorted ascending (break ties by
-- feedback_id): a text of 25-600 characters, a complaint before other tones and those
-- before unscored texts, then the most typical (highest probability; none, last). The
-- report's quotes and `pulse topics list` read the same order.
create or replace macro quote_order(text_redacted, sentiment_label, probability) as {
    'unquotable': not coalesce(length(text_redacted) between 25 and 600, false),
    'tone': case when sentiment_label = 'negative' then 0
                 when sentiment_label is not null then 1 else 2 end,
    'atypical': -coalesce(probability, -1)
};

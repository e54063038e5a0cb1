-- one row per cleaned text that may hold personal data, with the redaction gates open for it
-- (pulse.redact.PASS_GATES). A text of $gate_charset that no gate matches cannot change under
-- redaction and is not listed; a text outside $gate_charset is listed with every gate open.
-- Reads the plain texts ingest_typed already screened (is_redaction_candidate: of
-- $gate_charset, with a gate open) and ingest_messy_cleaned(line, text), the texts Python
-- cleaned, which are screened here.
with screened as (
    select line, text, not regexp_full_match(text, $gate_charset) as is_unscreened
    from ingest_messy_cleaned
    where text <> ''
),

candidates as (
    select line, text, false as is_unscreened from ingest_typed where is_redaction_candidate
    union all
    select line, text, is_unscreened
    from screened
    where is_unscreened or regexp_matches(text, $any_gate)
),

final as (
    select
        line,
        text,
        is_unscreened,
        regexp_matches(text, $gate_email) as gate_email,
        regexp_matches(text, $gate_spelled_email) as gate_spelled_email,
        regexp_matches(text, $gate_profile) as gate_profile,
        regexp_matches(text, $gate_iban) as gate_iban,
        regexp_matches(text, $gate_card) as gate_card,
        regexp_matches(text, $gate_ssn) as gate_ssn,
        regexp_matches(text, $gate_phone) as gate_phone,
        regexp_matches(text, $gate_cued) as gate_cued,
        regexp_matches(text, $gate_nino) as gate_nino,
        regexp_matches(text, $gate_street) as gate_street,
        regexp_matches(text, $gate_city_state_zip) as gate_city_state_zip,
        regexp_matches(text, $gate_uk_postcode) as gate_uk_postcode,
        regexp_matches(text, $gate_po_box) as gate_po_box,
        regexp_matches(text, $gate_eu_street) as gate_eu_street,
        regexp_matches(text, $gate_handle) as gate_handle
    from candidates
)

select * from final

-- The tables every stage reads and writes (the topics stage's: schema_topics.sql). Idempotent:
-- run at every connect.
create table if not exists feedback (
    feedback_id varchar primary key,          -- source || ':' || external id, stable across reloads
    source varchar not null,                  -- mapping name, e.g. demo_tickets, zendesk, twcs
    external_id varchar not null,
    kind varchar not null,                    -- ticket | social
    channel varchar,                          -- email, web, mobile, chat, phone, twitter, facebook, forum, app_review
    created_at timestamp not null,            -- UTC
    updated_at timestamp,                     -- UTC; a newer export of the same row wins
    text varchar not null,                    -- cleaned
    text_redacted varchar not null,           -- safe to show: personal data masked
    text_hash varchar not null,               -- sha256 of text, keys the embedding cache
    language varchar,
    member_tier varchar,                      -- free | premium | recruiter
    csat integer,                             -- 1..5
    nps integer,                              -- 0..10
    first_response_minutes double,
    resolution_minutes double,
    is_escalated boolean,
    reach bigint,                             -- followers or impressions of a social post
    url varchar,
    file varchar,                             -- file the row came from
    line bigint,                              -- line (or record number) in that file
    loaded_at timestamp not null default current_timestamp
);

create table if not exists rejected_rows (
    source varchar,
    file varchar,
    line bigint,
    reason varchar,
    raw varchar,                              -- truncated
    rejected_at timestamp default current_timestamp
);

create table if not exists loaded_files (
    fingerprint varchar primary key,          -- sha256 of the file's bytes
    source varchar,
    file varchar,
    rows_in bigint,
    rows_loaded bigint,
    rows_rejected bigint,
    rows_duplicate bigint,
    loaded_at timestamp default current_timestamp
);

create table if not exists sentiment (
    feedback_id varchar primary key,
    label varchar not null,                   -- negative | neutral | positive
    score double not null,                    -- -1 .. 1
    model varchar not null
);

create table if not exists embeddings (
    text_hash varchar not null,
    model varchar not null,
    vector float[] not null,
    primary key (text_hash, model)
);

create table if not exists runs (
    run_id varchar primary key,
    week varchar not null,
    parameters json,
    code_version varchar,
    input_fingerprints json,
    row_counts json,
    timings json,
    outcome varchar,                          -- running | ok | failed | crashed
    started_at timestamp,
    finished_at timestamp,
    output_dir varchar,
    error varchar                             -- why a failed run failed: stage, type, message
);

alter table runs add column if not exists error varchar;

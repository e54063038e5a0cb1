-- The topic registry and what each run assigned: the tables of the topics stage
-- (pulse/topics/). Idempotent: run at every connect, after schema.sql.

create sequence if not exists topic_id_seq start 1;

create table if not exists topics (
    topic_id integer primary key,             -- stable, never reused
    auto_label varchar not null,              -- what Pulse named it
    label varchar not null,                   -- what the report shows (CX ops' name wins)
    keywords varchar[],
    centroid float[],
    first_seen_week varchar not null,
    last_seen_week varchar not null,
    status varchar not null,                  -- active | new | dormant | merged | hidden
    merged_into integer,
    owner varchar,
    notes varchar,
    level varchar default 'theme',            -- issue (a problem area) | theme (a sub-theme)
    parent_id integer,                        -- a theme's issue
    label_keywords varchar[]                  -- the keywords auto_label was named for
);

-- Databases made before issues and sub-themes get their columns.
alter table topics add column if not exists level varchar default 'theme';
alter table topics add column if not exists parent_id integer;
alter table topics add column if not exists label_keywords varchar[];

-- Each run's issue of each sub-theme it clustered, so a re-render or an analyst's query of an
-- older run counts its texts under the issues that run made, not under today's grouping.
create table if not exists run_topic_parents (
    run_id varchar not null,
    topic_id integer not null,                -- a sub-theme
    parent_id integer not null,               -- its issue in that run
    primary key (run_id, topic_id)
);

-- One row per sub-theme (theme) of the registry: where its texts count in run `run`, after
-- CX ops' edits. theme_id is the sub-theme its texts count under (its merge target's, or its
-- own when it was moved under an issue), issue_id the issue they count under (the run's
-- grouping; a merged issue's target; the theme itself before it had an issue), and
-- is_visible whether neither is hidden. Every query that rolls texts up to topics reads
-- this, so the rule lives once. A run that recorded no grouping reads the registry's own.
create or replace macro topic_rollup_of(run) as table
with parents as (
    select topic_id, parent_id from run_topic_parents where run_id = run
),

targets as (
    select
        theme.topic_id,
        case when target.level = 'issue' then theme.topic_id else target.topic_id end
            as theme_id,
        case
            when target.level = 'issue' then target.topic_id
            else coalesce(parents.parent_id, target.parent_id)
        end as parent_id,
        case when target.level = 'issue' then theme.status else target.status end
            as theme_status
    from topics as theme
    inner join topics as target
        on target.topic_id = coalesce(theme.merged_into, theme.topic_id)
    left join parents on parents.topic_id = target.topic_id
    where coalesce(theme.level, 'theme') = 'theme'
),

final as (
    select
        targets.topic_id,
        targets.theme_id,
        coalesce(issue.merged_into, targets.parent_id, targets.theme_id) as issue_id,
        is_shown(targets.theme_status) and is_shown(shown.status) as is_visible
    from targets
    left join topics as issue on issue.topic_id = targets.parent_id
    left join topics as shown
        on shown.topic_id = coalesce(issue.merged_into, targets.parent_id)
)

select * from final;

-- The same for the registry as it stands (each sub-theme's latest issue).
create or replace view topic_rollup as select * from topic_rollup_of(null);

create table if not exists doc_topics (
    run_id varchar not null,
    feedback_id varchar not null,
    topic_id integer,                         -- null: unassigned after outlier reduction
    probability double,
    primary key (run_id, feedback_id)
);

-- The topic each text had after the last fit that clustered it. Every run re-clusters
-- its whole window; a new cluster holding mostly one earlier topic's texts keeps that
-- topic's id (pulse/topics/matching.py, match_by_documents).
create table if not exists topic_doc_memory (
    feedback_id varchar primary key,
    topic_id integer                          -- null: unassigned in that fit
);

-- Registry-wide settings read off the data once (pulse/topics/merge.py): 'merge_threshold',
-- the grain at which clusters are one issue, set by the registry's first fit and reused
-- by every later run so topics do not merge differently week to week.
create table if not exists topic_meta (
    key varchar primary key,
    value double not null
);

-- Which registry topic each seed of the taxonomy file owns (pulse/topics/seeds.py). A seed
-- keeps its topic id from run to run, so a row is never deleted.
create table if not exists topic_seeds (
    seed_key varchar primary key,             -- the seed's name, case-folded
    topic_id integer not null,
    name varchar not null,
    examples varchar[] not null
);
-- when the seed was first seen: a seed added after the registry's first successful run is a
-- topic CX ops just created, so the ranking badges it new (queries/marts/ranked_issues.sql)
alter table topic_seeds add column if not exists registered_at timestamp;  -- as runs.finished_at

-- Which embedder each run clustered with (pulse/embed/choice.py): the newest row is the
-- registry's. A run's row goes with the run when it fails (pulse.undo).
create table if not exists embedder_choices (
    run_id varchar primary key,
    week varchar not null,
    model varchar not null,
    known_language_texts bigint not null,     -- window texts whose language is known
    other_language_texts bigint not null,     -- ... and not English
    chosen_at timestamp not null default current_timestamp
);

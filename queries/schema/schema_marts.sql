-- The marts a run materialises (pulse.stages.compute_metrics): each mart query's result under
-- the run's id, so the report and an analyst read one run's numbers by run_id. The columns
-- are the query's own, in its order; a column a mart query gains is added here too (a
-- test compares the two). Idempotent: run at every connect.

-- one row per run per ISO week of its window: queries/marts/weekly_kpis.sql under the run's id
create table if not exists weekly_kpis (
    run_id                           varchar,
    week                             varchar,
    week_start                       date,
    volume                           bigint,
    ticket_count                     bigint,
    social_count                     bigint,
    email_count                      bigint,
    web_count                        bigint,
    mobile_count                     bigint,
    chat_count                       bigint,
    phone_count                      bigint,
    twitter_count                    bigint,
    facebook_count                   bigint,
    forum_count                      bigint,
    app_review_count                 bigint,
    other_channel_count              bigint,
    mobile_ticket_count              bigint,
    mobile_share                     double,
    csat_mean                        double,
    csat_count                       bigint,
    csat_1_count                     bigint,
    csat_2_count                     bigint,
    csat_3_count                     bigint,
    csat_4_count                     bigint,
    csat_5_count                     bigint,
    nps                              double,
    nps_count                        bigint,
    nps_promoter_count               bigint,
    nps_passive_count                bigint,
    nps_detractor_count              bigint,
    first_response_median_minutes    double,
    first_response_p90_minutes       double,
    first_response_count             bigint,
    resolution_median_minutes        double,
    resolution_p90_minutes           double,
    resolution_count                 bigint,
    sentiment_count                  bigint,
    negative_count                   bigint,
    negative_share                   double,
    social_reach                     decimal(38,0),
    complaint_count                  bigint,
    complaint_share                  double,
    volume_wow_change                double,
    csat_mean_wow_change             double,
    nps_wow_change                   double,
    first_response_median_wow_change double,
    resolution_median_wow_change     double,
    negative_share_wow_change        double,
    mobile_share_wow_change          double,
    social_reach_wow_change          double
);

-- Columns weekly_kpis gained after its first version: a database made before has them added
-- (its earlier runs read null there).
alter table weekly_kpis add column if not exists week_start date;
alter table weekly_kpis add column if not exists email_count bigint;
alter table weekly_kpis add column if not exists web_count bigint;
alter table weekly_kpis add column if not exists mobile_count bigint;
alter table weekly_kpis add column if not exists chat_count bigint;
alter table weekly_kpis add column if not exists phone_count bigint;
alter table weekly_kpis add column if not exists twitter_count bigint;
alter table weekly_kpis add column if not exists facebook_count bigint;
alter table weekly_kpis add column if not exists forum_count bigint;
alter table weekly_kpis add column if not exists app_review_count bigint;
alter table weekly_kpis add column if not exists other_channel_count bigint;
alter table weekly_kpis add column if not exists csat_1_count bigint;
alter table weekly_kpis add column if not exists csat_2_count bigint;
alter table weekly_kpis add column if not exists csat_3_count bigint;
alter table weekly_kpis add column if not exists csat_4_count bigint;
alter table weekly_kpis add column if not exists csat_5_count bigint;
alter table weekly_kpis add column if not exists nps_promoter_count bigint;
alter table weekly_kpis add column if not exists nps_passive_count bigint;
alter table weekly_kpis add column if not exists nps_detractor_count bigint;
alter table weekly_kpis add column if not exists resolution_count bigint;
alter table weekly_kpis add column if not exists sentiment_count bigint;
alter table weekly_kpis add column if not exists complaint_count bigint;
alter table weekly_kpis add column if not exists complaint_share double;
alter table weekly_kpis add column if not exists volume_wow_change double;
alter table weekly_kpis add column if not exists csat_mean_wow_change double;
alter table weekly_kpis add column if not exists nps_wow_change double;
alter table weekly_kpis add column if not exists first_response_median_wow_change double;
alter table weekly_kpis add column if not exists resolution_median_wow_change double;
alter table weekly_kpis add column if not exists negative_share_wow_change double;
alter table weekly_kpis add column if not exists mobile_share_wow_change double;
alter table weekly_kpis add column if not exists social_reach_wow_change double;

-- one row per run per topic (issue or sub-theme) per ISO week of its window:
-- queries/marts/topic_week_metrics.sql under the run's id
create table if not exists topic_week_metrics (
    run_id                        varchar,
    level                         varchar,
    topic_id                      integer,
    week                          varchar,
    volume                        bigint,
    share_of_feedback             double,
    sentiment_count               bigint,
    negative_count                bigint,
    negative_share                double,
    positive_count                bigint,
    sentiment_mean                double,
    csat_mean                     double,
    csat_sd                       double,
    csat_count                    bigint,
    csat_low_count                bigint,
    nps_count                     bigint,
    nps_promoter_count            bigint,
    nps_detractor_count           bigint,
    first_response_median_minutes double,
    resolution_median_minutes     double,
    resolution_count              bigint,
    escalated_count               bigint,
    escalation_known_count        bigint,
    escalated_share               double,
    repeat_contact_count          bigint,
    repeat_contact_share          double,
    paid_count                    bigint,
    tier_known_count              bigint,
    paid_share                    double,
    reach_sum                     decimal(38,0),
    ticket_count                  bigint,
    social_count                  bigint,
    email_count                   bigint,
    web_count                     bigint,
    mobile_count                  bigint,
    chat_count                    bigint,
    phone_count                   bigint,
    twitter_count                 bigint,
    facebook_count                bigint,
    forum_count                   bigint,
    app_review_count              bigint,
    other_channel_count           bigint
);

-- Columns topic_week_metrics gained after its first version: a database made before has them added
-- (its earlier runs read null there).
alter table topic_week_metrics add column if not exists level varchar;
alter table topic_week_metrics add column if not exists sentiment_count bigint;
alter table topic_week_metrics add column if not exists csat_sd double;
alter table topic_week_metrics add column if not exists csat_low_count bigint;
alter table topic_week_metrics add column if not exists nps_count bigint;
alter table topic_week_metrics add column if not exists nps_promoter_count bigint;
alter table topic_week_metrics add column if not exists nps_detractor_count bigint;
alter table topic_week_metrics add column if not exists first_response_median_minutes double;
alter table topic_week_metrics add column if not exists resolution_count bigint;
alter table topic_week_metrics add column if not exists escalated_count bigint;
alter table topic_week_metrics add column if not exists escalation_known_count bigint;
alter table topic_week_metrics add column if not exists repeat_contact_count bigint;
alter table topic_week_metrics add column if not exists repeat_contact_share double;
alter table topic_week_metrics add column if not exists paid_count bigint;
alter table topic_week_metrics add column if not exists tier_known_count bigint;
alter table topic_week_metrics add column if not exists email_count bigint;
alter table topic_week_metrics add column if not exists web_count bigint;
alter table topic_week_metrics add column if not exists chat_count bigint;
alter table topic_week_metrics add column if not exists phone_count bigint;
alter table topic_week_metrics add column if not exists twitter_count bigint;
alter table topic_week_metrics add column if not exists facebook_count bigint;
alter table topic_week_metrics add column if not exists forum_count bigint;
alter table topic_week_metrics add column if not exists app_review_count bigint;
alter table topic_week_metrics add column if not exists other_channel_count bigint;

-- one row per run per ranked issue of its week: queries/marts/ranked_issues.sql under the
-- run's id
create table if not exists ranked_issues (
    run_id                    varchar,
    topic_id                  integer,
    week                      varchar,
    rank                      bigint,
    prev_rank                 bigint,
    volume                    bigint,
    prev_volume               bigint,
    volume_change             double,
    volume_delta              bigint,
    negative_delta            bigint,
    week_share                double,
    baseline_share            double,
    baseline_volume           double,
    baseline_week_count       bigint,
    baseline_negative         double,
    baseline_2w_volume        double,
    baseline_2w_week_count    bigint,
    pair_volume               bigint,
    growth_z                  double,
    volume_z                  double,
    p_value_up                double,
    p_value_down              double,
    p_value_negative_up       double,
    p_value_negative_down     double,
    p_value_share_up          double,
    p_value_negative_share_up double,
    negative_count            bigint,
    sentiment_count           bigint,
    negative_share            double,
    negative_share_low        double,
    negative_share_high       double,
    sentiment_mean            double,
    csat_mean                 double,
    csat_low                  double,
    csat_high                 double,
    csat_count                bigint,
    csat_low_count            bigint,
    resolution_median_minutes double,
    resolution_count          bigint,
    escalated_share           double,
    escalated_count           bigint,
    repeat_contact_share      double,
    repeat_contact_count      bigint,
    paid_share                double,
    paid_share_low            double,
    paid_share_high           double,
    paid_count                bigint,
    tier_known_count          bigint,
    reach_sum                 decimal(38,0),
    social_count              bigint,
    volume_component          double,
    negativity_component      double,
    growth_component          double,
    severity_component        double,
    reach_component           double,
    priority                  double,
    is_new                    boolean,
    is_emerging               boolean,
    is_improving              boolean,
    weeks_in_top              bigint
);

-- Columns ranked_issues gained after its first version: a database made before has them added
-- (its earlier runs read null there).
alter table ranked_issues add column if not exists volume_delta bigint;
alter table ranked_issues add column if not exists negative_delta bigint;
alter table ranked_issues add column if not exists week_share double;
alter table ranked_issues add column if not exists baseline_share double;
alter table ranked_issues add column if not exists baseline_week_count bigint;
alter table ranked_issues add column if not exists baseline_negative double;
alter table ranked_issues add column if not exists baseline_2w_volume double;
alter table ranked_issues add column if not exists baseline_2w_week_count bigint;
alter table ranked_issues add column if not exists pair_volume bigint;
alter table ranked_issues add column if not exists volume_z double;
alter table ranked_issues add column if not exists p_value_up double;
alter table ranked_issues add column if not exists p_value_down double;
alter table ranked_issues add column if not exists p_value_negative_up double;
alter table ranked_issues add column if not exists p_value_negative_down double;
alter table ranked_issues add column if not exists p_value_share_up double;
alter table ranked_issues add column if not exists p_value_negative_share_up double;
alter table ranked_issues add column if not exists sentiment_count bigint;
alter table ranked_issues add column if not exists negative_share_low double;
alter table ranked_issues add column if not exists negative_share_high double;
alter table ranked_issues add column if not exists csat_low double;
alter table ranked_issues add column if not exists csat_high double;
alter table ranked_issues add column if not exists csat_low_count bigint;
alter table ranked_issues add column if not exists resolution_count bigint;
alter table ranked_issues add column if not exists escalated_count bigint;
alter table ranked_issues add column if not exists repeat_contact_share double;
alter table ranked_issues add column if not exists repeat_contact_count bigint;
alter table ranked_issues add column if not exists paid_share_low double;
alter table ranked_issues add column if not exists paid_share_high double;
alter table ranked_issues add column if not exists paid_count bigint;
alter table ranked_issues add column if not exists tier_known_count bigint;
alter table ranked_issues add column if not exists social_count bigint;
alter table ranked_issues add column if not exists is_new boolean;
alter table ranked_issues add column if not exists weeks_in_top bigint;

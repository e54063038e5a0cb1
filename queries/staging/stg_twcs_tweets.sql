-- one row per inbound (customer) tweet of a TWCS file, with the brand's first reply time.
-- A reply is an outbound tweet that answers the inbound one: its in_response_to_tweet_id
-- is the inbound tweet_id, or it is listed in the inbound's response_tweet_id.
-- Ids may carry a pandas ".0"; created_at looks like "Tue Oct 31 22:10:47 +0000 2017".
with tweets as (
    select
        line,
        regexp_replace(trim(tweet_id), '\.0$', '') as tweet_id,
        lower(trim(inbound)) as inbound,
        created_at,
        text,
        timezone('UTC', try_strptime(trim(created_at), '%a %b %d %H:%M:%S %z %Y')) as created_utc,
        regexp_replace(trim(in_response_to_tweet_id), '\.0$', '') as in_response_to_tweet_id,
        response_tweet_id
    from ingest_file
),

replies as (
    select tweet_id, in_response_to_tweet_id, created_utc
    from tweets
    where inbound = 'false'
),

inbound as (
    select * from tweets where inbound is distinct from 'false'
),

listed_replies as (
    select inbound.tweet_id, regexp_replace(trim(reply_id), '\.0$', '') as reply_id
    from inbound, unnest(string_split(inbound.response_tweet_id, ',')) as listed(reply_id)
    where inbound.response_tweet_id is not null
),

reply_times as (
    select in_response_to_tweet_id as tweet_id, created_utc from replies
    union all
    select listed_replies.tweet_id, replies.created_utc
    from listed_replies
    join replies on replies.tweet_id = listed_replies.reply_id
),

first_replies as (
    select reply_times.tweet_id, min(reply_times.created_utc) as first_reply_at
    from reply_times
    join inbound on inbound.tweet_id = reply_times.tweet_id
    where reply_times.created_utc >= inbound.created_utc
    group by reply_times.tweet_id
),

final as (
    select
        inbound.line,
        inbound.tweet_id,
        inbound.created_at,
        inbound.text,
        cast(
            date_diff('second', inbound.created_utc, first_replies.first_reply_at) / 60.0
            as varchar
        ) as first_response_minutes
    from inbound
    left join first_replies on first_replies.tweet_id = inbound.tweet_id
)

select * from final

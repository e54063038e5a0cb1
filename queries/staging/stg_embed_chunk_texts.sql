-- the text each hash of one chunk of pending hashes (registered as chunk_hashes) is
-- embedded from, capped at $cap characters: the row stg_embed_pending picks for it (the
-- first feedback row's within $scope), read for this chunk alone so that a run over a
-- million pending texts never holds them all in DuckDB's memory at once
with chunk_texts as (
    select f.text_hash, any_value(left(f.text, $cap) order by f.feedback_id) as capped
    from feedback as f
    semi join chunk_hashes as c on c.text_hash = f.text_hash
    where $scope = 'all'
        or ($scope = 'english' and coalesce(f.language, 'en') = 'en')
        or ($scope = 'other' and f.language <> 'en')
    group by f.text_hash
),

final as (
    select text_hash, capped from chunk_texts
)

select * from final

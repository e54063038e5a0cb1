-- one row per text with no sentiment yet from the model its language calls for, in
-- feedback_id order: what the sentiment stage scores (streamed a chunk at a time). English
-- texts and texts of unknown language are scored by $english_model, every other language
-- by $other_model: the split of stg_embed_pending's scopes, so each row's vectors exist
with routed as (
    select
        f.feedback_id,
        f.text,
        f.text_hash,
        coalesce(f.language, 'en') = 'en' as is_english
    from feedback as f
),

final as (
    select
        r.feedback_id,
        r.text,
        r.text_hash,
        r.is_english
    from routed as r
    left join sentiment as s
        on s.feedback_id = r.feedback_id
        and s.model = case when r.is_english then $english_model else $other_model end
    where s.feedback_id is null
)

select * from final
order by feedback_id

-- one row per text hash the embedding cache lacks for $model, with the text it is
-- embedded from: the first feedback row's, so the same text every run. $scope narrows
-- the rows by language: 'all', 'english' (English or unknown: what the English sentiment
-- model reads) or 'other' (a known language other than English)
with pending as (
    select f.text_hash, any_value(f.text order by f.feedback_id) as text
    from feedback as f
    anti join embeddings as e on e.text_hash = f.text_hash and e.model = $model
    where $scope = 'all'
        or ($scope = 'english' and coalesce(f.language, 'en') = 'en')
        or ($scope = 'other' and f.language <> 'en')
    group by f.text_hash
),

final as (
    select text_hash, text from pending
)

select * from final

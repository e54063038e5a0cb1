-- one row per wanted text hash (wanted_hashes: text_hash, position, registered by
-- pulse.embed.load_vectors) with its cached vector for $model, null when it has none
select w.position, e.vector
from wanted_hashes as w
left join embeddings as e on e.text_hash = w.text_hash and e.model = $model

-- adds one chunk's vectors (registered as new_vectors) to the embeddings cache; a vector
-- already cached for its (text_hash, model) stays as it was
insert or ignore into embeddings
select text_hash, model, vector::float[] from new_vectors

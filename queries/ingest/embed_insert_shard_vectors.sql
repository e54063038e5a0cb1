-- adds the vectors a Dask worker wrote for one shard ($vectors, a Parquet file) to the
-- embeddings cache, as embed_insert_vectors.sql adds a chunk embedded in this process
insert or ignore into embeddings
select text_hash, model, vector::float[] from read_parquet($vectors)

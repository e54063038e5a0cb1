-- one row per text of a shard ($path, written by embed_write_shard.sql), in embedding order
select text_hash, text from read_parquet($path) order by ord

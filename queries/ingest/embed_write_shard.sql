-- writes one shard: the pending texts numbered $start up to (not including) $stop, to the
-- Parquet file $path, in embedding order
copy (
    select ord, text_hash, text from pulse_pending_texts
    where ord >= $start and ord < $stop order by ord
) to $path (format parquet)

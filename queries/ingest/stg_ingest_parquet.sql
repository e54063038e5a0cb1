-- one row per record of a Parquet file ($path), with the file's own column types
select * from read_parquet($path)

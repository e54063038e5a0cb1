-- one row: how many JSON records hold the field at $path
select count(*) as record_count from ingest_raw where json_exists(doc, $path)

-- forgets the rejections of an earlier reading of the same bytes from the same source: the
-- files of the batch (ingest_batch_files) are being read again under a changed mapping, and
-- their new rejections replace them
delete from rejected_rows
where source = $source
    and file in (
        select files.file
        from ingest_batch_files as files
        inner join loaded_files as done
            on done.source = $source
            and done.file = files.file
            and done.file_sha256 = files.file_sha256
    )

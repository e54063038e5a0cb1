-- forgets the rejections of an earlier reading of the same bytes from the same source:
-- the file is being read again under a changed mapping, and its new rejections replace them
delete from rejected_rows
where source = $source
    and file = $file
    and exists (
        select 1 from loaded_files
        where loaded_files.source = $source
            and loaded_files.file = $file
            and loaded_files.file_sha256 = $file_sha256
    )

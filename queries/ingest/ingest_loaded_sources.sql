-- one row per source some file was loaded for, texts or not
select distinct source from loaded_files

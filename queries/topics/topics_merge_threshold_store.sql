-- keeps the merge grain a fit read off, for every later run to reuse
insert or replace into topic_meta (key, value) values ('merge_threshold', $value)

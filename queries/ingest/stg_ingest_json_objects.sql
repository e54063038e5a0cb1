-- one row per top-level JSON value of a whole-document file ($path), objects up to
-- $max_bytes bytes
select json from read_json_objects($path, format = 'auto', maximum_object_size = $max_bytes)

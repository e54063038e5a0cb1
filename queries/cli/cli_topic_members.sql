-- the visible topics whose texts count under topic $id, as the report counts them (an
-- issue's: all its sub-themes'; a topic's: those merged into it) (`pulse topics show`)
select topic_id from topic_rollup
where is_visible and (theme_id = $id or issue_id = $id)
order by topic_id

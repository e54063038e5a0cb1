-- every topic id of the registry (`pulse topics action` checks the one it is given)
select topic_id from topics order by topic_id

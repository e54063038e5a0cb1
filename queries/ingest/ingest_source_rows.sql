-- one row per source with texts in the database, and how many
select source, count(*) as text_count from feedback group by source order by source

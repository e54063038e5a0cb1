-- one row: how many texts pulse_pending_texts holds (the Dask fan-out's pending texts,
-- numbered by embed order)
select count(*) as pending_count from pulse_pending_texts

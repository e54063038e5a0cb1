-- gives each rejected row of the batch its full reason, from ingest_reasons (kind, value,
-- reason: the pairs of ingest_reject_kinds.sql explained by pulse.ingest.reasons)
update ingest_rows set reason = reasons.reason
from ingest_reasons as reasons
where ingest_rows.status = 'reject' and ingest_rows.reason_kind = reasons.kind
    and ingest_rows.reason_value is not distinct from reasons.value

-- one `topics:` entry of the taxonomy file: CX ops' label, owner and notes win, a merge
-- points at the chain's last topic, and a merged or hidden topic leaves the report
update topics set
    label = coalesce($label, label),
    owner = coalesce($owner, owner),
    notes = coalesce($notes, notes),
    merged_into = $merged_into,
    status = case when $merged_into is not null then 'merged'
                  when $hide then 'hidden' else status end
where topic_id = $topic_id

-- every topic back to Pulse's own view (its name, no owner, notes or merge, shown), so the
-- taxonomy file is applied from scratch and deleting a line undoes its edit
update topics set
    label = auto_label,
    owner = null,
    notes = null,
    merged_into = null,
    status = case when status in ('hidden', 'merged') then 'active' else status end

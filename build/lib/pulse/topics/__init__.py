"""Topics: cluster a run's window with BERTopic, then give each cluster a stable identity.

BERTopic renumbers its topics on every fit. Executives need the same issue under
the same name every week, so each fitted cluster is matched one-to-one to the
topic registry by centroid similarity; a match keeps its `topic_id` and label,
no match registers a new topic. Ids come from a sequence and are never reused.

The stage calls `window.cluster_window`, then `taxonomy_apply.apply_taxonomy`. One job
per module; "pure" modules compute from their arguments, the others read or write DuckDB:

- window: the stage for one run, reading the window and writing what was decided
- model (pure): BERTopic and UMAP built for offline, deterministic runs
- cluster (pure): one window's fit, cut into leaves, outliers placed; merge (pure): the
  merge grain; centroids (pure); sampled_umap, neighbours (pure): UMAP on a sample
- seeds (pure): known issues claim their texts; matching (pure): clusters to topics
- registry: topics written and aged; assignments: each text's topic, across runs
- issues (pure): sub-themes grouped into issues; issue_registry: issues written
- labels, vocabulary (pure): names and keywords from the texts
- taxonomy, taxonomy_fields (pure): CX ops' file read and checked; taxonomy_apply: applied

This file imports nothing, so reading the taxonomy (the CLI, the report) stays light.
docs/TUNING.md has the measurements behind the constants.
"""

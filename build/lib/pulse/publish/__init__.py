"""After a run is recorded as ok: what it publishes (Prefect artifacts, `artifacts.py`) and
delivers (the e-mail, `delivery.py`).

Neither is part of the analysis: a failure here never fails or repeats the run. Import
from the modules: the artifacts need Prefect, which `pulse deliver` has no reason to load.
"""

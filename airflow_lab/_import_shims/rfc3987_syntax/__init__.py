"""Keep ``rfc3987_syntax`` out of Airflow's processes.

JupyterLab's ``jupyter-events`` installs ``jsonschema[format-nongpl]``, which adds
``rfc3987_syntax``; jsonschema imports it when present, and it compiles a Lark
grammar at import time: 2.3 s on this project's 2-core machine, paid by every
Airflow process and every task start. jsonschema treats its absence as "no IRI
format checking", which Airflow never asks for. The lab puts this folder first on
``PYTHONPATH`` for Airflow processes only (see ``airflow_lab.stack.airflow_config``).
"""

raise ImportError("rfc3987_syntax is skipped in airflow-lab's Airflow processes")

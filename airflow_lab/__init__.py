"""airflow-lab: the helper package of a Jupyter teaching kit for Apache Airflow 3.3.

It removes boilerplate (the stack, tokens, waiting, tables, plots, exercise checks)
so that notebooks can show Airflow in its own terms. Nothing runs at import time.
"""

from airflow_lab.errors import LabError
from airflow_lab.settings import Settings, load_settings

__all__ = ["LabError", "Settings", "load_settings"]
__version__ = "0.1.0"

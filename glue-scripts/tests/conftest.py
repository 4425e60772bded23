"""Make `datalake_glue` and the entry script importable (Glue puts them on sys.path the same way:
--extra-py-files for the package, the script's own directory for load_dataset.py)."""

import os
import sys

GLUE_SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if GLUE_SCRIPTS not in sys.path:
    sys.path.insert(0, GLUE_SCRIPTS)

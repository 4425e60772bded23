"""Shared library of the Glue load runner.

Shipped to Glue with ``--extra-py-files`` as a zip whose root holds the ``datalake_glue/``
folder. Every module imports without Spark: pyspark and awsglue are imported lazily inside the
few functions that touch them, so the pure parts are tested with pytest on any machine.
"""

"""The entry script and the package import without Spark or awsglue (Glue provides them)."""

import importlib.util
import json
import os
import py_compile
import subprocess
import sys

import pytest

from datalake_glue import constants
from datalake_glue.iceberg_conf import glue_conf_argument, iceberg_spark_conf

GLUE_SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_script_compiles():
    for root, _, names in os.walk(GLUE_SCRIPTS):
        for name in names:
            if name.endswith(".py"):
                py_compile.compile(os.path.join(root, name), doraise=True)


def test_package_and_entry_import_without_spark():
    code = (
        "import sys, pkgutil, importlib, datalake_glue, load_dataset, build_model\n"
        "for m in pkgutil.iter_modules(datalake_glue.__path__): importlib.import_module('datalake_glue.' + m.name)\n"
        "assert 'pyspark' not in sys.modules and 'awsglue' not in sys.modules\n"
        "assert callable(load_dataset.main) and callable(build_model.main)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=GLUE_SCRIPTS, check=True)


@pytest.mark.parametrize("script", ["load_dataset", "build_model"])
def test_main_fails_clearly_without_awsglue(script):
    pytest.importorskip("boto3")
    if importlib.util.find_spec("awsglue") is not None:
        pytest.skip("awsglue is installed")
    sys.path.insert(0, GLUE_SCRIPTS)
    entry = importlib.import_module(script)

    with pytest.raises(ImportError):
        entry.main([f"{script}.py"])


def test_glue_version_is_defined_once():
    hits = []
    for root, _, names in os.walk(os.path.join(GLUE_SCRIPTS, "datalake_glue")):
        for name in names:
            if name.endswith(".py"):
                with open(os.path.join(root, name), encoding="utf-8") as handle:
                    if 'GLUE_VERSION = ' in handle.read():
                        hits.append(name)
    with open(os.path.join(GLUE_SCRIPTS, "datalake_glue", "runtime.json"), encoding="utf-8") as handle:
        runtime = json.load(handle)
    assert hits == ["constants.py"] and constants.GLUE_VERSION == runtime["glueVersion"]
    assert (constants.SPARK_VERSION, constants.ICEBERG_VERSION) == (runtime["sparkVersion"], runtime["icebergVersion"])


def test_iceberg_conf_binds_glue_catalog_to_the_warehouse():
    pairs = dict(iceberg_spark_conf("s3://silver-bucket/warehouse/"))
    assert pairs["spark.sql.catalog.glue_catalog"] == "org.apache.iceberg.spark.SparkCatalog"
    assert pairs["spark.sql.catalog.glue_catalog.catalog-impl"] == "org.apache.iceberg.aws.glue.GlueCatalog"
    assert pairs["spark.sql.catalog.glue_catalog.warehouse"] == "s3://silver-bucket/warehouse/"
    assert pairs["spark.sql.extensions"].endswith("IcebergSparkSessionExtensions")
    argument = glue_conf_argument("s3://w/")
    assert argument.startswith("spark.sql.extensions=") and argument.count(" --conf ") == len(pairs) - 1

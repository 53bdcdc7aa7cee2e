"""Runs the tokenization job over local files with a local Spark session: no AWS, same code as in Glue.

    .venv/bin/python glue/local_run.py --run demo --tokenizer-uri <tokenizer.json> \
        [--domain-uri data/sample/domain] [--general-uri data/sample/general] [--output-uri .local/datasets] ...

Any flag of the job can be given; the defaults below suit the sample corpus (short rows, a larger held-out share).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(__file__).resolve().parent / "src"
sys.path.insert(0, str(SOURCE))

LOCAL_DEFAULTS = {
    "--domain-uri": str(ROOT / "data/sample/domain"),
    "--general-uri": str(ROOT / "data/sample/general"),
    "--format": "jsonl",
    "--text-field": "text",
    "--output-uri": str(ROOT / ".local/datasets"),
    "--scratch-uri": str(ROOT / ".local/scratch"),
    "--sequence-length": "256",
    "--general-share": "0.05",
    "--held-out-share": "0.05",
    "--seed": "42",
    "--code-version": "local",
}


def local_spark(cores: str = "*"):
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Local Spark talks to itself only over loopback.
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    # Python workers import cpt_data as Glue's do from --extra-py-files.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("tokenize-local")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )


def with_defaults(argv: list) -> list:
    given = {arg.split("=")[0] for arg in argv if arg.startswith("--")}
    extra = [item for flag, value in LOCAL_DEFAULTS.items() if flag not in given for item in (flag, value)]
    return argv + extra


if __name__ == "__main__":
    from tokenize_job import main

    spark = local_spark()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        main(with_defaults(sys.argv[1:]), spark)
    finally:
        spark.stop()

"""Glue entry point of the tokenization job: parses the job's arguments and runs the pipeline of cpt_data.

Glue passes `--key value` arguments (the stack's defaults, then the run's own) plus some of its own, which are
ignored. The same function runs locally (glue/local_run.py) with a local Spark session.
"""

import sys

from cpt_data.options import parse_options
from cpt_data.pipeline import run


def main(argv, spark=None):
    options = parse_options(argv)
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.appName(f"tokenize-{options.run}").getOrCreate()
    return run(spark, options)


if __name__ == "__main__":
    main(sys.argv[1:])

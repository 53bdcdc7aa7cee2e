"""The offline validator loads cluster configs with ParallelCluster's own schema and runs its validators.

The validator runs in .venv-pcluster (scripts/pcluster-env.sh sets it up on first use), as a subprocess. Every case
file is validated in one run (one process: ~1 s of imports, then ~0.15 s a file) and each test reads its own JSON
line, which keeps the module at a few seconds. (Fixtures live here, not in a conftest.py: glue/tests imports its
own conftest by name, and a second conftest module on the path would shadow it.)
"""

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
VALIDATOR = REPO / "cluster" / "validate" / "validate_cluster_config.py"
PCLUSTER_PYTHON = REPO / ".venv-pcluster" / "bin" / "python"
CONFIGS = Path(__file__).resolve().parent / "configs"
CLUSTER_NAME = "trn-cpt-cluster"


def _clean_env():
    """The environment without anything that could point boto3 at a real account."""
    return {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}


@pytest.fixture(scope="session")
def pcluster_python():
    """The Python of .venv-pcluster, set up by scripts/pcluster-env.sh (a no-op when it is up to date)."""
    subprocess.run(["bash", str(REPO / "scripts" / "pcluster-env.sh")], check=True, cwd=REPO, timeout=600)
    return str(PCLUSTER_PYTHON)


class Run:
    """One run of the validator: exit code, one parsed JSON record per stdout line, stderr."""

    def __init__(self, completed):
        self.returncode = completed.returncode
        self.stderr = completed.stderr
        self.records = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]

    def by_file(self):
        return {Path(record["file"]).name: record for record in self.records}


@pytest.fixture(scope="session")
def run_validator(pcluster_python):
    """run_validator(*files, cluster_name=..., args=[...]) runs the validator as a subprocess in .venv-pcluster."""

    def run(*files, cluster_name=CLUSTER_NAME, args=()):
        completed = subprocess.run(
            [pcluster_python, str(VALIDATOR), "--cluster-name", cluster_name, *args, *map(str, files)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=_clean_env(),
            timeout=300,
        )
        return Run(completed)

    return run


@pytest.fixture(scope="session")
def run_python(pcluster_python):
    """run_python(code) runs a snippet in .venv-pcluster with cluster/validate on its path."""

    def run(code):
        env = _clean_env()
        env["PYTHONPATH"] = str(VALIDATOR.parent)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return subprocess.run(
            [pcluster_python, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
        )

    return run


BASE = yaml.safe_load((CONFIGS / "trainium.yaml").read_text(encoding="utf-8"))


def queue(config):
    return config["Scheduling"]["SlurmQueues"][0]


def compute_resource(config):
    return queue(config)["ComputeResources"][0]


def fsx(config):
    return config["SharedStorage"][0]["FsxLustreSettings"]


def as_cloudformation_passes_it(value):
    """CloudFormation hands custom-resource properties over with every number and boolean as a string."""
    if isinstance(value, dict):
        return {key: as_cloudformation_passes_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_cloudformation_passes_it(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _dras(config, count):
    first = fsx(config)["DataRepositoryAssociations"][0]
    fsx(config)["DataRepositoryAssociations"] = [
        dict(first, Name=f"dra{i}", FileSystemPath=f"/dra{i}") for i in range(count)
    ]


def _capacity_block(instance_type="trn1.32xlarge", min_count=4, max_count=4):
    """A queue of static nodes in a Capacity Block, without a placement group, as ParallelCluster asks."""

    def change(config):
        queue(config).update(CapacityType="CAPACITY_BLOCK", Networking=dict(queue(config)["Networking"]))
        queue(config)["Networking"]["PlacementGroup"] = {"Enabled": False}
        compute_resource(config).update(
            Name=instance_type.replace(".", "-"),
            InstanceType=instance_type,
            MinCount=min_count,
            MaxCount=max_count,
            CapacityReservationTarget={"CapacityReservationId": "cr-0123456789abcdef0"},
        )

    return change


# name -> (change to the valid config, substrings expected among the errors). All of these must fail.
FAILING = {
    # EC2 offers no Capacity Block of trn1n.32xlarge (instance_types.json says why), and ParallelCluster asks EC2.
    "capacity-block-of-trn1n": (
        _capacity_block("trn1n.32xlarge"),
        ["CapacityTypeValidator: Usage type 'capacity-block' not supported with instance type 'trn1n.32xlarge'"],
    ),
    "capacity-block-of-dynamic-nodes": (
        _capacity_block(min_count=0),
        [
            "ComputeResourceSizeValidator: Max count must be set to the same value of min count when using Capacity Block",
            "ComputeResourceSizeValidator: Min count must be a value > 0 when using Capacity Block reservation.",
        ],
    ),
    "queue-name-with-capitals": (
        lambda c: queue(c).update(Name="Trn"),
        ["NameValidator: Invalid name 'Trn'. Name must begin with a letter and only contain lowercase letters"],
    ),
    "queue-name-26-chars": (
        lambda c: queue(c).update(Name="q" * 26),
        ["NameValidator: Invalid name '" + "q" * 26 + "'. Name can be at most 25 chars long."],
    ),
    "unknown-top-level-key": (lambda c: c.update(Storage=[]), ["Storage: Unknown field."]),
    "unknown-nested-key": (
        lambda c: compute_resource(c).update(Efa={"Enabled": True, "Interfaces": 8}),
        ["Scheduling.SlurmQueues[0].ComputeResources[0].Efa.Interfaces: Unknown field."],
    ),
    "missing-head-node": (lambda c: c.pop("HeadNode"), ["HeadNode: Missing data for required field."]),
    "fsx-capacity-not-a-number": (
        lambda c: fsx(c).update(StorageCapacity="1.2TiB"),
        ["SharedStorage[0].FsxLustreSettings.StorageCapacity: Not a valid integer."],
    ),
    "fsx-capacity-1000": (
        lambda c: fsx(c).update(StorageCapacity=1000),
        [
            "FsxStorageCapacityValidator: Capacity for FSx PERSISTENT_2 file systems is 1,200 GB or increments of 2,400 GB."
        ],
    ),
    "fsx-throughput-300": (
        lambda c: fsx(c).update(PerUnitStorageThroughput=300),
        [
            "FsxStorageTypeOptionsValidator: For PERSISTENT_2 SSD file systems, per unit storage throughput can only "
            "have the following values: [125, 250, 500, 1000]."
        ],
    ),
    "fsx-nine-data-repository-associations": (
        lambda c: _dras(c, 9),
        ["FsxDraValidator: The number of data repository association used for one file system cannot be greater"],
    ),
    "fsx-associations-and-import-path": (
        lambda c: fsx(c).update(ImportPath="s3://trainium-cpt-datasets-123456789012"),
        ["FsxDraValidator: When specifying data repository associations, import and export path can not be used"],
    ),
    "compute-instance-type-unknown": (
        lambda c: compute_resource(c).update(InstanceType="trn1.64xlarge"),
        ["Invalid cluster configuration: The following supplied instance types do not exist: [trn1.64xlarge]"],
    ),
    "head-node-instance-type-unknown": (
        lambda c: c["HeadNode"].update(InstanceType="c5.4xlarg"),
        ["The following supplied instance types do not exist: [c5.4xlarg]"],
    ),
    "efa-on-trn1-2xlarge": (
        lambda c: compute_resource(c).update(InstanceType="trn1.2xlarge"),
        ["EfaValidator: Instance type 'trn1.2xlarge' does not support EFA."],
    ),
    "efa-queue-with-two-subnets": (
        lambda c: queue(c)["Networking"]["SubnetIds"].append("subnet-0fedcba9876543211"),
        [
            "SingleInstanceTypeSubnetValidator: At least one compute resource in the 'trn' queue is configured using",
            "ManagedFsxMultiAzValidator: Managed FSx storage created by ParallelCluster is not supported when",
        ],
    ),
    "compute-nodes-in-the-public-subnet": (
        lambda c: queue(c)["Networking"].update(SubnetIds=[c["HeadNode"]["Networking"]["SubnetId"]]),
        [
            "MultiNetworkInterfacesInstancesValidator: The queue trn contains the instance types trn1.32xlarge with "
            "multiple network interfaces, but the subnets ['subnet-0123456789abcdef0'] auto-assign public IPs."
        ],
    ),
    "ubuntu-2004": (
        lambda c: c["Image"].update(Os="ubuntu2004"),
        ["Image.Os: Must be one of: alinux2023, ubuntu2204, ubuntu2404"],
    ),
    "aws-batch-scheduler": (
        lambda c: c["Scheduling"].update(Scheduler="awsbatch"),
        ["Scheduling.Scheduler: Must be one of: slurm."],
    ),
    "queue-update-strategy-lowercase": (
        lambda c: c["Scheduling"]["SlurmSettings"].update(QueueUpdateStrategy="drain"),
        ["Scheduling.SlurmSettings.QueueUpdateStrategy: Must be one of: DRAIN, COMPUTE_FLEET_STOP, TERMINATE."],
    ),
    "tag-value-a-number": (
        lambda c: c["Tags"].append({"Key": "cost-center", "Value": 1234}),
        ["Tags[2].Value: Not a valid string."],
    ),
    "custom-action-arg-a-number": (
        lambda c: c["HeadNode"]["CustomActions"]["OnNodeConfigured"].update(Args=["--neuron-release", 2.28]),
        ["HeadNode.CustomActions.OnNodeConfigured.Args[1]: Not a valid string."],
    ),
    "reserved-tag": (
        lambda c: c["Tags"].append({"Key": "parallelcluster:version", "Value": "3.16.1"}),
        ["Tags: The tag key prefix 'parallelcluster:' is reserved and cannot be used."],
    ),
}


def _made_up_instance_type_in_dev_settings(config):
    """DevSettings/InstanceTypesData describes instance types without EC2 (pcluster reads it before loading)."""
    table = json.loads((VALIDATOR.parent / "instance_types.json").read_text(encoding="utf-8"))["InstanceTypes"]
    record = dict(next(r for r in table if r["InstanceType"] == "trn1.32xlarge"), InstanceType="trn9.32xlarge")
    config["DevSettings"] = {"InstanceTypesData": json.dumps({"trn9.32xlarge": record})}
    compute_resource(config).update(Name="trn9-32xlarge", InstanceType="trn9.32xlarge")


# name -> (change, substrings expected among the warnings). All of these must pass.
PASSING = {
    "trainium": (lambda c: None, ["DeletionPolicyValidator: The DeletionPolicy is set to Delete."]),
    "trn1n-32xlarge": (
        lambda c: compute_resource(c).update(Name="trn1n-32xlarge", InstanceType="trn1n.32xlarge"),
        [],
    ),
    "made-up-instance-type-described-in-dev-settings": (_made_up_instance_type_in_dev_settings, []),
    "capacity-block-of-trn1": (_capacity_block(), []),
    "placement-group-disabled": (
        lambda c: queue(c)["Networking"].update(PlacementGroup={"Enabled": False}),
        ["EfaPlacementGroupValidator: Placement group is disabled for queue 'trn'."],
    ),
}


def _pinned_version():
    for line in (REPO / "requirements-pcluster.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("aws-parallelcluster=="):
            return line.split("==")[1].strip()
    raise AssertionError("requirements-pcluster.txt pins no aws-parallelcluster")


@pytest.fixture(scope="module")
def batch(run_validator, tmp_path_factory):
    """Every case of FAILING and PASSING, plus JSON and stringified copies, in one run (failing cases first)."""
    directory = tmp_path_factory.mktemp("configs")
    files = []
    for name, (change, _) in list(FAILING.items()) + list(PASSING.items()):
        config = copy.deepcopy(BASE)
        change(config)
        path = directory / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        files.append(path)
    (directory / "trainium.json").write_text(json.dumps(BASE), encoding="utf-8")
    (directory / "trainium-as-cloudformation-passes-it.json").write_text(
        json.dumps(as_cloudformation_passes_it(BASE)), encoding="utf-8"
    )
    (directory / "duplicate-key.yaml").write_text("Image:\n  Os: ubuntu2204\nImage:\n  Os: ubuntu2404\n", "utf-8")
    files += [
        directory / "trainium.json",
        directory / "trainium-as-cloudformation-passes-it.json",
        directory / "duplicate-key.yaml",
    ]
    run = run_validator(*files, args=["--details"])
    assert [r["file"] for r in run.records] == [str(f) for f in files], run.stderr
    return run


def test_the_hand_written_trainium_config_passes_alone_with_exit_code_0(run_validator):
    run = run_validator(CONFIGS / "trainium.yaml")
    assert run.returncode == 0, run.stderr
    assert len(run.records) == 1
    record = run.records[0]
    assert set(record) == {"file", "ok", "errors", "warnings"}
    assert record["ok"] is True and record["errors"] == []


def test_one_failing_file_makes_the_exit_code_1(batch):
    assert batch.returncode == 1
    assert any(r["ok"] for r in batch.records) and not all(r["ok"] for r in batch.records)


@pytest.mark.parametrize("name", sorted(PASSING))
def test_passing_cases(batch, name):
    record = batch.by_file()[f"{name}.yaml"]
    assert record["ok"] is True, record["errors"]
    for expected in PASSING[name][1]:
        assert any(expected in warning for warning in record["warnings"]), (expected, record["warnings"])


@pytest.mark.parametrize("name", ["trainium.json", "trainium-as-cloudformation-passes-it.json"])
def test_json_and_cloudformation_stringified_numbers_and_booleans_pass(batch, name):
    record = batch.by_file()[name]
    assert record["ok"] is True, record["errors"]


@pytest.mark.parametrize("name", sorted(FAILING))
def test_failing_cases_carry_parallelclusters_message(batch, name):
    record = batch.by_file()[f"{name}.yaml"]
    assert record["ok"] is False
    for expected in FAILING[name][1]:
        assert any(expected in error for error in record["errors"]), (expected, record["errors"])


def test_a_capacity_block_without_a_placement_group_draws_no_placement_warning(batch):
    record = batch.by_file()["capacity-block-of-trn1.yaml"]
    assert "CapacityTypeValidator" in record["validators_run"]
    assert "PlacementGroupCapacityTypeValidator" in record["validators_run"]
    assert not [w for w in record["warnings"] if "PlacementGroup" in w], record["warnings"]


def test_the_reservation_size_is_checked_by_parallelclusters_own_validator(batch, run_validator, tmp_path):
    # The offline reservation holds the config's MaxCount by default: the validator runs and passes...
    record = batch.by_file()["capacity-block-of-trn1.yaml"]
    assert "CapacityReservationSizeValidator" in record["validators_run"]
    assert "CapacityReservationSizeValidator" not in record["validators_skipped"]
    assert "EC2.DescribeCapacityReservations" in record["aws_calls"], record["aws_calls"]
    # ...and refuses a reservation smaller than MaxCount (4), as it would at `pcluster create-cluster`.
    config = copy.deepcopy(BASE)
    _capacity_block()(config)
    path = tmp_path / "small-block.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    small = run_validator(path, args=["--reserved-instances", "cr-0123456789abcdef0=3"])
    assert small.returncode == 1, small.stderr
    assert small.records[0]["errors"] == [
        "CapacityReservationSizeValidator: Number of instances configured for Capacity Reservation "
        "cr-0123456789abcdef0: 4 is exceeding the total instances count available for the Capacity Reservation: 3"
    ]
    exact = run_validator(path, args=["--reserved-instances", "cr-0123456789abcdef0=4"])
    assert exact.returncode == 0, exact.records


@pytest.mark.parametrize("value", ["cr-0123456789abcdef0", "cr-0123456789abcdef0=-1", "0123=4", "cr-01=four"])
def test_a_malformed_reserved_instances_option_is_a_usage_error(run_validator, value):
    run = run_validator(CONFIGS / "trainium.yaml", args=["--reserved-instances", value])
    assert run.returncode == 2
    assert (
        f"argument --reserved-instances: {value!r}: expected cr-ID=COUNT, COUNT an integer of at least 0" in run.stderr
    )


def test_record_comments_stay_out_of_the_answers(run_python):
    result = run_python(
        "import offline_aws\n"
        "records = offline_aws.load_instance_types()\n"
        "print(sorted(k for r in records.values() for k in r if k.startswith('_')))\n"
        "print(records['trn1n.32xlarge']['SupportedUsageClasses'])\n"
    )
    assert result.stdout.split("\n")[:2] == ["[]", "['on-demand', 'spot']"], result.stderr


def test_duplicate_keys_are_an_error_as_in_pcluster(batch):
    record = batch.by_file()["duplicate-key.yaml"]
    assert record["ok"] is False
    assert "Duplicate key found: Image" in record["errors"][0]


def test_the_trainium_rules_are_checked_by_parallelclusters_validators(batch):
    record = batch.by_file()["trainium.yaml"]
    for validator in [
        "ClusterNameValidator",
        "NameValidator",
        "InstanceTypeValidator",
        "EfaValidator",
        "EfaPlacementGroupValidator",
        "EfaMultiAzValidator",
        "MultiNetworkInterfacesInstancesValidator",
        "QueueSubnetsValidator",
        "SingleInstanceTypeSubnetValidator",
        "PlacementGroupNamingValidator",
        "InstanceTypePlacementGroupValidator",
        "FsxStorageCapacityValidator",
        "FsxStorageTypeOptionsValidator",
        "FsxDraValidator",
        "ManagedFsxMultiAzValidator",
        "RootVolumeSizeValidator",
        "AdditionalIamPolicyValidator",
        "CapacityTypeValidator",
        "RegionValidator",
    ]:
        assert validator in record["validators_run"], validator
    assert record["pcluster_version"] == _pinned_version()
    assert "AsyncTimedUrlValidator" in record["validators_skipped"]  # the node script on S3 is not looked up
    assert "HeadNodeLaunchTemplateValidator" in record["validators_skipped"]  # no RunInstances dry run offline
    assert set(record["aws_calls"]) <= {
        "EC2.DescribeInstanceTypes",
        "EC2.DescribeInstanceTypeOfferings",
        "EC2.DescribeSubnets",
        "EC2.DescribeRouteTables",
        "EC2.DescribeImages",
        "IAM.GetPolicy",
        "S3.GetBucketLocation",
    }


@pytest.mark.parametrize(
    "cluster_name",
    ["1-trn-cpt", "trn_cpt", "t" * 61],
)
def test_cluster_names_are_checked(run_validator, cluster_name):
    run = run_validator(CONFIGS / "trainium.yaml", cluster_name=cluster_name)
    assert run.returncode == 1
    assert any(
        e.startswith("ClusterNameValidator: Error: The cluster name can contain only alphanumeric")
        for e in run.records[0]["errors"]
    ), run.records[0]["errors"]


def test_a_region_that_conflicts_with_the_files_region_is_an_error(run_validator):
    run = run_validator(CONFIGS / "trainium.yaml", args=["--region", "us-west-2"])
    assert run.returncode == 1
    assert run.records[0]["errors"] == ["region is set in both parameter and configuration and conflicts."]


def test_the_main_venv_python_is_told_to_use_the_pcluster_venv():
    completed = subprocess.run(
        [sys.executable, str(VALIDATOR), "--cluster-name", CLUSTER_NAME, str(CONFIGS / "trainium.yaml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_clean_env(),
        timeout=60,
    )
    assert completed.returncode == 1
    assert "run it with .venv-pcluster/bin/python" in completed.stderr


def test_the_process_cannot_open_a_network_connection(run_python):
    result = run_python(
        "import socket, offline_aws\n"
        "offline_aws.install_network_guard()\n"
        "for target in (lambda: socket.create_connection(('127.0.0.1', 9)),\n"
        "               lambda: socket.socket().connect(('127.0.0.1', 9)),\n"
        "               lambda: socket.getaddrinfo('ec2.us-east-1.amazonaws.com', 443)):\n"
        "    try:\n"
        "        target()\n"
        "    except offline_aws.NetworkBlockedError:\n"
        "        print('blocked')\n"
    )
    assert result.stdout.split() == ["blocked"] * 3, result.stderr


def test_the_validator_passes_in_a_network_namespace_without_any_network(pcluster_python):
    """Proof from outside the process: with no network device at all, the valid config still passes."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -n (a new network namespace) is not permitted here")
    completed = subprocess.run(
        [
            unshare,
            "-n",
            pcluster_python,
            str(VALIDATOR),
            "--cluster-name",
            CLUSTER_NAME,
            str(CONFIGS / "trainium.yaml"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_clean_env(),
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert json.loads(completed.stdout)["ok"] is True


def test_an_aws_call_without_an_offline_answer_fails_without_reaching_aws(run_python):
    result = run_python(
        "import offline_aws\n"
        "offline_aws.install_network_guard()\n"
        "offline_aws.prepare_environment('us-east-1')\n"
        "import boto3, botocore.exceptions\n"
        "world = offline_aws.OfflineAws('us-east-1', offline_aws.load_instance_types())\n"
        "world.attach(boto3)\n"
        "try:\n"
        "    boto3.client('sts').get_caller_identity()\n"
        "except botocore.exceptions.ClientError as error:\n"
        "    print(error.response['Error']['Code'])\n"
        "info = boto3.client('ec2').describe_instance_types(InstanceTypes=['trn1.32xlarge'])['InstanceTypes'][0]\n"
        "print(info['VCpuInfo']['DefaultVCpus'], info['NeuronInfo']['NeuronDevices'][0]['Count'],\n"
        "      info['NetworkInfo']['EfaSupported'], info['NetworkInfo']['MaximumNetworkCards'])\n"
        "print(world.calls)\n"
    )
    assert result.stdout.splitlines() == [
        "OfflineNoAnswer",
        "128 16 True 8",
        "['STS.GetCallerIdentity', 'EC2.DescribeInstanceTypes']",
    ], result.stderr


def test_every_skipped_validator_is_one_of_parallelclusters(run_python):
    result = run_python(
        "import inspect, pkgutil, importlib, pcluster.config.cluster_config, pcluster.validators as v\n"
        "import validate_cluster_config as m\n"
        "names = set()\n"
        "for info in pkgutil.iter_modules(v.__path__):\n"
        "    module = importlib.import_module(f'pcluster.validators.{info.name}')\n"
        "    names |= {n for n, _ in inspect.getmembers(module, inspect.isclass)}\n"
        "names |= {'AsyncTimed' + n for n in names}\n"
        "print(sorted(set(m.SKIPPED_VALIDATORS) - names))\n"
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_the_instance_type_table_matches_trainium_facts(run_python):
    result = run_python(
        "import offline_aws\n"
        "from pcluster.aws.aws_resources import InstanceTypeInfo\n"
        "for name in ('trn1.32xlarge', 'trn1n.32xlarge', 'trn1.2xlarge'):\n"
        "    info = InstanceTypeInfo(offline_aws.load_instance_types()[name])\n"
        "    print(name, info.vcpus_count(), info.is_efa_supported(), info.max_network_cards(),\n"
        "          info.max_efa_interfaces(), info.instance_type_data['NeuronInfo']['NeuronDevices'][0]['Count'])\n"
    )
    assert result.stdout.splitlines() == [
        "trn1.32xlarge 128 True 8 8 16",
        "trn1n.32xlarge 128 True 16 16 16",
        "trn1.2xlarge 8 False 1 0 1",
    ], result.stderr

#!/usr/bin/env python3
"""Validate ParallelCluster cluster configurations offline, with ParallelCluster's own schema and validators.

Usage: validate_cluster_config.py --cluster-name NAME [--region REGION] [--reserved-instances ID=COUNT ...] [--details]
       FILE.json|FILE.yaml ...

Run it with the Python of .venv-pcluster (scripts/pcluster-env.sh), which holds the pinned `aws-parallelcluster`.
For each file it does what `pcluster create-cluster --dryrun` does before it deploys anything, but offline:
  1. parse the file with ParallelCluster's YAML loader (JSON is YAML too; duplicate keys are an error);
  2. `ClusterSchema(cluster_name=NAME).load(config)`: the official schema (unknown keys, types, enums, regexes);
  3. `config.validate(...)`: the cluster's validators, with AWS answered by offline_aws.OfflineAws, minus the
     validators of SKIPPED_VALIDATORS (each needs a real AWS answer that an offline run cannot give).
Validation failures of level ERROR are errors; WARNING and INFO are warnings (as for `pcluster`, whose default
--validation-failure-level is ERROR).

It prints one JSON line per file: {"file": ..., "ok": true|false, "errors": [...], "warnings": [...]} (with
--details also "pcluster_version", "validators_run", "validators_skipped" (with the reason for each) and "aws_calls"),
and exits 0 only if every file is ok (1 otherwise, 2 for a usage error).
Nothing leaves the process: sockets are blocked and every AWS call is answered in-process.
"""

import argparse
import json
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__

import offline_aws  # noqa: E402  (the guard must be in place before boto3 is imported)

DEFAULT_REGION = "us-east-1"
_CURRENT = {"region": DEFAULT_REGION}  # the region of the file being validated (what get_region answers)

# Validators that cannot give a meaningful answer offline: they exist to ask AWS about resources that live in an
# account (does this S3 object / key pair / security group exist, is this account allowed to ...). The offline run
# suppresses them with ParallelCluster's own mechanism (the suppressor behind --suppress-validators type:NAME).
SKIPPED_VALIDATORS = {
    "UrlValidator": "checks that S3/HTTPS objects (custom action scripts, templates) exist and can be read",
    "AsyncTimedUrlValidator": "checks that S3/HTTPS objects (custom action scripts) exist and can be read",
    "S3BucketUriValidator": "checks that the S3 bucket of a data repository path exists",
    "S3BucketValidator": "checks that a custom S3 bucket exists",
    "S3BucketRegionValidator": "asks S3 for a bucket's region",
    "KeyPairValidator": "checks that the EC2 key pair exists in the account",
    "SecurityGroupsValidator": "checks that security groups exist in the account",
    "RoleValidator": "checks that an IAM role exists in the account",
    "InstanceProfileValidator": "checks that an IAM instance profile exists in the account",
    "IamPolicyValidator": "checks that the permissions boundary policy exists in the account",
    "KmsKeyValidator": "checks that a KMS key exists in the account",
    "ElasticIpValidator": "checks that an Elastic IP allocation exists in the account",
    "CapacityReservationValidator": "describes EC2 capacity reservations of the account",
    "CapacityReservationResourceGroupValidator": "lists the capacity reservations of a resource group",
    "PlacementGroupCapacityReservationValidator": "describes EC2 capacity reservations of the account",
    "CustomAmiTagValidator": "describes a custom AMI",
    "AmiOsCompatibleValidator": "describes a custom AMI",
    "FsxBackupIdValidator": "describes an FSx backup",
    "EbsVolumeSizeSnapshotValidator": "describes an EBS snapshot",
    "SharedEbsVolumeIdValidator": "describes an existing EBS volume",
    "DatabaseUriValidator": "resolves the database host name",
    "CapacityBlockHealthStatusValidator": "describes EC2 capacity blocks of the account",
    "UltraserverCapacityBlockSizeValidator": "describes EC2 capacity blocks of the account",
    "EfaSecurityGroupValidator": "reads the rules of the given security groups (a no-op without SecurityGroups)",
    "PasswordSecretArnValidator": "reads a Secrets Manager secret or SSM parameter",
    "MungeKeySecretSizeAndBase64Validator": "reads a Secrets Manager secret",
    "ExistingFsxNetworkingValidator": "describes existing FSx file systems and their network interfaces",
    "EfsIdValidator": "describes an existing EFS file system",
    "HostedZoneValidator": "describes a Route 53 hosted zone",
    "LambdaFunctionsVpcConfigValidator": "describes the subnets and security groups of a Lambda VPC config",
    "LaunchTemplateValidator": "describes an EC2 launch template of the account",
    "HeadNodeLaunchTemplateValidator": "launches the head node with EC2 RunInstances --dry-run in the account",
    "ComputeResourceLaunchTemplateValidator": "launches each compute resource with EC2 RunInstances --dry-run",
}


def _recording_suppressor(skipped):
    """A ParallelCluster ValidatorSuppressor that skips `skipped` and remembers every validator it was asked about."""
    from pcluster.config.common import ValidatorSuppressor  # pylint: disable=import-outside-toplevel

    class RecordingSuppressor(ValidatorSuppressor):
        def __init__(self):
            self.ran = []
            self.suppressed = []

        def suppress_validator(self, validator):  # called once for each validator about to run
            if validator.type in skipped:
                self.suppressed.append(validator.type)
                return True
            self.ran.append(validator.type)
            return False

    return RecordingSuppressor()


def _flatten_schema_messages(messages, path=""):
    """Turn marshmallow's nested error dict into 'Path.To[0].Key: message' strings."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == "_schema":
                child = path
            else:
                child = f"{path}.{key}" if path else str(key)
            out.extend(_flatten_schema_messages(value, child))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            out.extend(_flatten_schema_messages(value, path))
    else:
        out.append(f"{path}: {messages}" if path else str(messages))
    return out


def _head_node_subnet(config):
    try:
        return config["HeadNode"]["Networking"]["SubnetId"]
    except (KeyError, TypeError):
        return None


def _capacity_reservations(config, sizes):
    """{reservation id: (instance type, reservation type, instance count)} as the config's compute resources use them.

    The count is `sizes[id]` if given (--reserved-instances), else the sum of the MaxCounts that launch into the
    reservation, what ParallelCluster compares it with (CapacityReservationSizeValidator, cluster_config.py).
    """
    found = {}
    max_counts = {}
    try:
        queues = config["Scheduling"]["SlurmQueues"]
        for queue in queues:
            block = queue.get("CapacityType") == "CAPACITY_BLOCK"
            for resource in queue.get("ComputeResources") or []:
                target = resource.get("CapacityReservationTarget") or queue.get("CapacityReservationTarget") or {}
                cr_id = target.get("CapacityReservationId")
                if cr_id:
                    found[cr_id] = (resource.get("InstanceType"), "capacity-block" if block else "default")
                    max_counts[cr_id] = max_counts.get(cr_id, 0) + int(resource.get("MaxCount") or 0)
    except (KeyError, TypeError, AttributeError, ValueError):
        pass  # the schema reports a malformed config
    return {cr_id: (*kind, sizes.get(cr_id, max_counts.get(cr_id, 0))) for cr_id, kind in found.items()}


def _reserved_instances(value):
    """--reserved-instances ID=COUNT: a (reservation id, instance count of at least 0) pair."""
    cr_id, sep, count = value.partition("=")
    if not sep or not cr_id.startswith("cr-") or not count.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r}: expected cr-ID=COUNT, COUNT an integer of at least 0")
    return cr_id, int(count)


def _resolve_region(requested, config):
    """As `pcluster` does (configure_aws_region_from_config): --region, else the file's Region, else us-east-1."""
    config_region = config.get("Region") if isinstance(config.get("Region"), str) else None
    if requested and config_region and requested != config_region:
        raise ValueError("region is set in both parameter and configuration and conflicts.")
    return requested or config_region or DEFAULT_REGION


def validate_file(path, cluster_name, requested_region, details, reserved_instances=None):
    """Load and validate one file; return the result record."""
    import boto3  # pylint: disable=import-outside-toplevel
    from marshmallow import ValidationError  # pylint: disable=import-outside-toplevel
    from pcluster.aws.aws_api import AWSApi  # pylint: disable=import-outside-toplevel
    from pcluster.schemas.cluster_schema import ClusterSchema  # pylint: disable=import-outside-toplevel
    from pcluster.utils import yaml_load  # pylint: disable=import-outside-toplevel
    from pcluster.validators.common import FailureLevel, ValidatorContext  # pylint: disable=import-outside-toplevel

    result = {"file": path, "ok": False, "errors": [], "warnings": []}
    extra = {"pcluster_version": _pcluster_version(), "validators_run": [], "validators_skipped": {}, "aws_calls": []}

    def finish():
        result["ok"] = not result["errors"]
        if details:
            result.update(extra)
        return result

    try:
        with open(path, encoding="utf-8") as stream:
            config = yaml_load(stream)
    except Exception as error:  # pylint: disable=broad-except
        result["errors"].append(f"cannot parse {path}: {error}")
        return finish()
    if not isinstance(config, dict):
        result["errors"].append(f"{path}: the configuration must be a mapping at the top level")
        return finish()

    try:
        region = _resolve_region(requested_region, config)
    except ValueError as error:
        result["errors"].append(str(error))
        return finish()
    offline_aws.prepare_environment(region)
    _CURRENT["region"] = region

    # A fresh offline account per file: the head node's subnet is the public one.
    world = offline_aws.OfflineAws(
        region,
        offline_aws.load_instance_types(),
        public_subnet_ids=[s for s in [_head_node_subnet(config)] if s],
        capacity_reservations=_capacity_reservations(config, reserved_instances or {}),
    )
    world.attach(boto3)
    _reset_pcluster_caches()
    # As pcluster does before loading (Cluster._load_additional_instance_type_data): instance types described in
    # DevSettings/InstanceTypesData are known without asking EC2.
    instance_types_data = (config.get("DevSettings") or {}).get("InstanceTypesData")
    if isinstance(instance_types_data, str) and instance_types_data:
        try:
            AWSApi.instance().ec2.additional_instance_types_data = json.loads(instance_types_data)
        except ValueError:
            result["errors"].append("DevSettings/InstanceTypesData is not a valid JSON.")
            return finish()

    try:
        cluster = ClusterSchema(cluster_name=cluster_name).load(config)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, (dict, list)) else [str(error)]
        result["errors"].extend(_flatten_schema_messages(messages))
        extra["aws_calls"] = world.calls
        return finish()
    except Exception as error:  # pylint: disable=broad-except
        result["errors"].append(f"Invalid cluster configuration: {error}")
        extra["aws_calls"] = world.calls
        return finish()

    suppressor = _recording_suppressor(SKIPPED_VALIDATORS)
    try:
        failures = cluster.validate([suppressor], ValidatorContext())
    except Exception as error:  # pylint: disable=broad-except
        # pcluster itself reports an exception while validating as "Invalid cluster configuration: ..."
        result["errors"].append(f"Invalid cluster configuration: {error}")
        failures = []
    for failure in failures:
        text = f"{failure.validator_type}: {failure.message}"
        if failure.level.value >= FailureLevel.ERROR.value:
            result["errors"].append(text)
        else:
            result["warnings"].append(text)
    extra["validators_run"] = sorted(set(suppressor.ran))
    extra["validators_skipped"] = {name: SKIPPED_VALIDATORS[name] for name in sorted(set(suppressor.suppressed))}
    extra["aws_calls"] = world.calls
    return finish()


def _pcluster_version():
    from importlib.metadata import version  # pylint: disable=import-outside-toplevel

    return version("aws-parallelcluster")


def _reset_pcluster_caches():
    """Forget AWS answers cached by a previous file (pcluster caches clients and many calls per process)."""
    from pcluster.aws.aws_api import AWSApi  # pylint: disable=import-outside-toplevel
    from pcluster.aws.common import Cache  # pylint: disable=import-outside-toplevel

    AWSApi.reset()
    Cache.clear_all()


def _patch_region():
    """ParallelCluster's tests patch pcluster.utils.get_region; patch it wherever a module imported it by name."""
    import pcluster.aws.common as aws_common  # pylint: disable=import-outside-toplevel

    original = aws_common.get_region

    def get_region():
        return _CURRENT["region"]

    for name, module in list(sys.modules.items()):
        if (name == "pcluster" or name.startswith("pcluster.")) and getattr(module, "get_region", None) is original:
            setattr(module, "get_region", get_region)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cluster-name", required=True, help="the ClusterName the configuration is deployed with")
    parser.add_argument(
        "--region", default=None, help=f"AWS region to validate for (default: the file's Region, else {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--reserved-instances",
        action="append",
        default=[],
        type=_reserved_instances,
        metavar="ID=COUNT",
        help="the offline capacity reservation ID holds COUNT instances (default: the MaxCounts launched into it)",
    )
    parser.add_argument("--details", action="store_true", help="also list validators run and skipped, and AWS calls")
    parser.add_argument("files", nargs="+", metavar="FILE", help="cluster configuration, YAML or JSON")
    args = parser.parse_args(argv)

    offline_aws.install_network_guard()
    offline_aws.prepare_environment(args.region or DEFAULT_REGION)
    import logging  # pylint: disable=import-outside-toplevel

    # pcluster logs every AWS error it maps at ERROR level; the JSON lines carry what matters.
    logging.disable(logging.CRITICAL)
    try:
        import pcluster.config.cluster_config  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
        import pcluster.schemas.cluster_schema  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError as error:
        sys.exit(
            f"validate_cluster_config.py: cannot import ParallelCluster ({error}); run it with .venv-pcluster/bin/python"
            " after scripts/pcluster-env.sh"
        )

    _patch_region()

    all_ok = True
    for path in args.files:
        record = validate_file(path, args.cluster_name, args.region, args.details, dict(args.reserved_instances))
        all_ok = all_ok and record["ok"]
        print(json.dumps(record), flush=True)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())

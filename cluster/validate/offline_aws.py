"""An offline stand-in for the AWS answers that ParallelCluster needs while it loads and validates a cluster config.

ParallelCluster's own tests (cli/tests/pcluster/aws/dummy_aws_api.py) replace `AWSApi.instance()` with dummy clients
whose Python methods return canned values. This module answers one level lower instead, at botocore: a
`before-call` handler returns a canned EC2/IAM/S3 response (or an AWS-style error) for each API operation, so that
ParallelCluster's own client code (`pcluster.aws.ec2.Ec2Client` and friends: caching, pagination, parsing, error
mapping) runs unchanged and no request is ever signed or sent. Any operation without an answer here gets an error
response ("OfflineNoAnswer"), which ParallelCluster reports like any other AWS error, so nothing passes by accident.

The offline account is deliberately small and says what it assumes:
- instance types: the records of instance_types.json (EC2 DescribeInstanceTypes shape); any other name gets EC2's
  InvalidInstanceType error and is missing from DescribeInstanceTypeOfferings;
- subnets: every subnet id exists, in one VPC (DNS support and host names on) and one availability zone
  (<region>a); the head node's subnet routes 0.0.0.0/0 to an internet gateway and maps public IPs (public), every
  other subnet routes to a NAT gateway (private);
- every named placement group exists, with the cluster strategy;
- the official ParallelCluster AMI of the configured OS exists, with a 40 GiB root volume;
- every capacity reservation the config targets exists as the config uses it: active, in the one zone, for Linux/UNIX
  and the compute resource's instance type, a Capacity Block when its queue's CapacityType is CAPACITY_BLOCK, holding
  as many instances as the config's MaxCounts launch into it unless told otherwise (what the real reservation is, the
  app's zone picker checks at deploy time: lambda/az-picker); any other ID is not found;
- every IAM policy ARN names an existing policy (AWS managed or not);
- every S3 bucket is in the validation region (GetBucketLocation), as the app creates its buckets there.

Call `install_network_guard()` and `prepare_environment()` before boto3 creates any client.
"""

import copy
import json
import os
import socket
from pathlib import Path

OFFLINE_VPC_ID = "vpc-0a1b2c3d4e5f60718"
OFFICIAL_AMI_ID = "ami-0a1b2c3d4e5f60718"
OFFICIAL_AMI_ROOT_VOLUME_GIB = 40
INSTANCE_TYPES_FILE = Path(__file__).with_name("instance_types.json")


class NetworkBlockedError(OSError):
    """Raised when anything in this process tries to open a network connection."""


def install_network_guard():
    """Make every attempt to resolve a host name or open an IP connection fail in this process.

    Unix-domain sockets stay usable (asyncio's event loop wakes itself up through a socketpair).
    """

    def _refuse(*args, **kwargs):
        raise NetworkBlockedError("network access is blocked in the offline validator")

    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def _guarded(original):
        def connect(self, address, *args, **kwargs):
            if self.family == getattr(socket, "AF_UNIX", None):
                return original(self, address, *args, **kwargs)
            raise NetworkBlockedError(f"network access is blocked in the offline validator (connect to {address!r})")

        return connect

    socket.socket.connect = _guarded(original_connect)
    socket.socket.connect_ex = _guarded(original_connect_ex)
    socket.getaddrinfo = _refuse
    socket.gethostbyname = _refuse
    socket.gethostbyname_ex = _refuse
    socket.create_connection = _refuse


def prepare_environment(region):
    """Give boto3 a region and fake credentials, and keep it away from config files and the instance metadata service."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
    ):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_ACCESS_KEY_ID": "AKIAOFFLINEVALIDATOR",
            "AWS_SECRET_ACCESS_KEY": "offline-validator-fake-secret",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )


def load_instance_types(path=INSTANCE_TYPES_FILE):
    """Return {instance type name: DescribeInstanceTypes record}, without the records' own `_comment` notes."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))["InstanceTypes"]
    return {
        record["InstanceType"]: {key: value for key, value in record.items() if not key.startswith("_")}
        for record in records
    }


def _error(code, message, status=400):
    return status, {"Error": {"Code": code, "Message": message}}


_ACTIVE = {"world": None}


def _remember_params(params, context, **kwargs):
    context["offline_params"] = copy.deepcopy(params)


def _answer_with_active_world(**kwargs):
    return _ACTIVE["world"]._answer(**kwargs)  # pylint: disable=protected-access


class OfflineAws:
    """Canned answers for the AWS API operations that loading and validating a cluster config makes."""

    def __init__(
        self,
        region,
        instance_types,
        public_subnet_ids=(),
        official_ami_root_gib=OFFICIAL_AMI_ROOT_VOLUME_GIB,
        capacity_reservations=None,
    ):
        self.region = region
        # id -> (instance type, reservation type, instance count)
        self.capacity_reservations = dict(capacity_reservations or {})
        self.availability_zone = f"{region}a"
        self.instance_types = instance_types
        self.public_subnet_ids = set(public_subnet_ids)
        self.official_ami_root_gib = official_ami_root_gib
        self._official_image_name = None
        self.calls = []  # "EC2.DescribeSubnets", ... in call order
        self._handlers = {
            ("EC2", "DescribeInstanceTypes"): self._describe_instance_types,
            ("EC2", "DescribeInstanceTypeOfferings"): self._describe_instance_type_offerings,
            ("EC2", "DescribeSubnets"): self._describe_subnets,
            ("EC2", "DescribeRouteTables"): self._describe_route_tables,
            ("EC2", "DescribeImages"): self._describe_images,
            ("EC2", "DescribePlacementGroups"): self._describe_placement_groups,
            ("EC2", "DescribeVpcAttribute"): self._describe_vpc_attribute,
            ("EC2", "DescribeCapacityReservations"): self._describe_capacity_reservations,
            ("IAM", "GetPolicy"): self._get_policy,
            ("S3", "GetBucketLocation"): self._get_bucket_location,
        }

    # ---- botocore wiring ----

    def attach(self, boto3_module):
        """Answer every call of clients made from boto3's default session (the one ParallelCluster uses).

        The session (and the service models it has loaded, the slow part of making a client) is kept for later
        worlds of the same region; only the answering world changes.
        """
        _ACTIVE["world"] = self
        session = boto3_module.DEFAULT_SESSION
        if session is None or session.region_name != self.region or not getattr(session, "_offline_aws", False):
            boto3_module.setup_default_session(region_name=self.region)
            session = boto3_module.DEFAULT_SESSION
            session.events.register("before-parameter-build.*.*", _remember_params)
            session.events.register("before-call.*.*", _answer_with_active_world)
            session._offline_aws = True  # pylint: disable=protected-access

    def _answer(self, model, context, **kwargs):
        from botocore.awsrequest import AWSResponse  # pylint: disable=import-outside-toplevel

        service = model.service_model.service_id
        operation = model.name
        self.calls.append(f"{service}.{operation}")
        handler = self._handlers.get((str(service), operation))
        if handler is None:
            status, body = _error("OfflineNoAnswer", f"the offline validator has no answer for {service}.{operation}")
        else:
            status, body = handler(context.get("offline_params") or {})
        body.setdefault("ResponseMetadata", {"HTTPStatusCode": status, "RequestId": "offline"})
        return AWSResponse("https://offline.invalid/", status, {}, None), body

    # ---- EC2 ----

    def _describe_instance_types(self, params):
        names = params.get("InstanceTypes") or []
        unknown = [name for name in names if name not in self.instance_types]
        if unknown:
            return _error(
                "InvalidInstanceType", f"The following supplied instance types do not exist: [{', '.join(unknown)}]"
            )
        selected = names or list(self.instance_types)
        return 200, {"InstanceTypes": [copy.deepcopy(self.instance_types[name]) for name in selected]}

    def _describe_instance_type_offerings(self, params):
        location_type = params.get("LocationType", "region")
        location = self.availability_zone if location_type == "availability-zone" else self.region
        wanted = None
        for flt in params.get("Filters") or []:
            if flt.get("Name") == "instance-type":
                wanted = set(flt.get("Values") or [])
        offerings = [
            {"InstanceType": name, "LocationType": location_type, "Location": location}
            for name in self.instance_types
            if wanted is None or name in wanted
        ]
        return 200, {"InstanceTypeOfferings": offerings}

    def _subnet(self, subnet_id):
        return {
            "SubnetId": subnet_id,
            "VpcId": OFFLINE_VPC_ID,
            "AvailabilityZone": self.availability_zone,
            "AvailabilityZoneId": "offline-az1",
            "CidrBlock": "10.0.0.0/20",
            "State": "available",
            "MapPublicIpOnLaunch": subnet_id in self.public_subnet_ids,
        }

    def _describe_subnets(self, params):
        return 200, {"Subnets": [self._subnet(subnet_id) for subnet_id in params.get("SubnetIds") or []]}

    def _describe_route_tables(self, params):
        subnet_id = None
        for flt in params.get("Filters") or []:
            if flt.get("Name") == "association.subnet-id":
                subnet_id = (flt.get("Values") or [None])[0]
        if subnet_id is None:
            return 200, {"RouteTables": []}
        gateway = (
            {"GatewayId": "igw-0a1b2c3d4e5f60718"}
            if subnet_id in self.public_subnet_ids
            else {"NatGatewayId": "nat-0a1b2c3d4e5f60718"}
        )
        route_table = {
            "RouteTableId": "rtb-0a1b2c3d4e5f60718",
            "VpcId": OFFLINE_VPC_ID,
            "Associations": [{"SubnetId": subnet_id, "Main": False}],
            "Routes": [
                {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
                {"DestinationCidrBlock": "0.0.0.0/0", "State": "active", **gateway},
            ],
        }
        return 200, {"RouteTables": [route_table]}

    def _official_image(self, name, architecture):
        return {
            "ImageId": OFFICIAL_AMI_ID,
            "Name": name,
            "Architecture": architecture,
            "CreationDate": "2026-01-01T00:00:00.000Z",
            "State": "available",
            "RootDeviceName": "/dev/sda1",
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": self.official_ami_root_gib, "VolumeType": "gp3"}}
            ],
        }

    def _describe_images(self, params):
        """Answer the official-AMI search (name filter aws-parallelcluster-<version>-<os>-...) and its describe."""
        image_ids = params.get("ImageIds") or []
        if image_ids:
            if image_ids == [OFFICIAL_AMI_ID] and self._official_image_name:
                return 200, {"Images": [self._official_image(*self._official_image_name)]}
            return _error("InvalidAMIID.NotFound", f"The image id '[{', '.join(image_ids)}]' does not exist")
        name_patterns = [
            value for flt in params.get("Filters") or [] if flt.get("Name") == "name" for value in flt.get("Values", [])
        ]
        if not name_patterns or not name_patterns[0].startswith("aws-parallelcluster-"):
            return 200, {"Images": []}
        pattern = name_patterns[0]
        name = pattern.replace("*", "") + " 2026-01-01T00-00-00.000Z"
        architecture = "arm64" if "arm64" in pattern else "x86_64"
        self._official_image_name = (name, architecture)
        return 200, {"Images": [self._official_image(name, architecture)]}

    def _describe_placement_groups(self, params):
        groups = [
            {"GroupName": name, "GroupId": "pg-0a1b2c3d4e5f60718", "Strategy": "cluster", "State": "available"}
            for name in params.get("GroupNames") or []
        ]
        return 200, {"PlacementGroups": groups}

    def _describe_capacity_reservations(self, params):
        ids = params.get("CapacityReservationIds") or []
        unknown = [cr_id for cr_id in ids if cr_id not in self.capacity_reservations]
        if unknown:
            return _error(
                "InvalidCapacityReservationId.NotFound", f"The capacity reservation ID '{unknown[0]}' does not exist"
            )
        reservations = [
            {
                "CapacityReservationId": cr_id,
                "CapacityReservationArn": f"arn:aws:ec2:{self.region}:123456789012:capacity-reservation/{cr_id}",
                "InstanceType": instance_type,
                "InstancePlatform": "Linux/UNIX",
                "AvailabilityZone": self.availability_zone,
                "AvailabilityZoneId": "offline-az1",
                "State": "active",
                "ReservationType": reservation_type,
                "TotalInstanceCount": count,
                "AvailableInstanceCount": count,
            }
            for cr_id, (instance_type, reservation_type, count) in ((i, self.capacity_reservations[i]) for i in ids)
        ]
        return 200, {"CapacityReservations": reservations}

    @staticmethod
    def _describe_vpc_attribute(params):
        attribute = params.get("Attribute", "")
        key = {"enableDnsSupport": "EnableDnsSupport", "enableDnsHostnames": "EnableDnsHostnames"}.get(attribute)
        if key is None:
            return _error("OfflineNoAnswer", f"the offline validator has no answer for the VPC attribute {attribute}")
        return 200, {"VpcId": params.get("VpcId"), key: {"Value": True}}

    # ---- S3 ----

    def _get_bucket_location(self, params):
        """Every bucket is in the validation region (the app creates its buckets in the cluster's region)."""
        return 200, {"LocationConstraint": None if self.region == "us-east-1" else self.region}

    # ---- IAM ----

    @staticmethod
    def _get_policy(params):
        """Every IAM policy exists: its ARN's form is the schema's to check, its existence is the account's."""
        arn = params.get("PolicyArn", "")
        name = arn.split("/")[-1]
        return 200, {"Policy": {"PolicyName": name, "Arn": arn, "PolicyId": "ANPAOFFLINEVALIDATOR", "Path": "/"}}

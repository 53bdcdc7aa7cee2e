"""What ParallelCluster's own code (the aws-parallelcluster wheel of requirements-pcluster.txt) says about names this
app relies on, as one JSON object on stdout, for test/cluster/pcluster-facts.test.ts. Runs with .venv-pcluster's
python; the arguments are storage names.

pcluster/templates/cdk_builder_utils.py imports AWS CDK v1, which that environment leaves out (it is only needed to
build templates): a stand-in module answers every CDK name with a dummy class, so that the module's own functions,
which use no CDK, run as they are.
"""

import importlib
import importlib.abc
import importlib.machinery
import json
import os
import sys
import types


class _CdkStandIn(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if self.__name__ == "aws_cdk":  # `from aws_cdk import aws_iam as iam`: a submodule
            return importlib.import_module(f"aws_cdk.{name}")
        value = type(name, (), {})
        setattr(self, name, value)
        return value


class _CdkFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname == "aws_cdk" or fullname.startswith("aws_cdk."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _CdkStandIn(spec.name)

    def exec_module(self, module):
        module.__path__ = []


sys.meta_path.insert(0, _CdkFinder())
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from pcluster import constants  # noqa: E402
from pcluster.config.common import SharedStorageType  # noqa: E402
from pcluster.templates.cdk_builder_utils import create_hash_suffix  # noqa: E402
from pcluster.utils import policy_name_to_arn  # noqa: E402

print(
    json.dumps(
        {
            # cluster_stack.py _add_shared_storage: cfn_resource_id = "{0}{1}".format(type name, create_hash_suffix(name))
            "fsxLogicalIds": {name: f"{SharedStorageType.FSX.name}{create_hash_suffix(name)}" for name in sys.argv[1:]},
            # cdk_builder_utils.py _cluster_scoped_iam_path: node roles under IAM_ROLE_PATH + the cluster's stack name
            "iamRolePath": constants.IAM_ROLE_PATH,
            # cdk_builder_utils.py _add_node_role: added to every node role when CloudWatch logs are on
            "cloudWatchAgentPolicyArn": policy_name_to_arn("CloudWatchAgentServerPolicy"),
            # models/cluster.py _add_tags: the tag ParallelCluster puts on the cluster's stack
            "clusterNameTag": constants.PCLUSTER_CLUSTER_NAME_TAG,
            "nodeBootstrapTimeout": constants.NODE_BOOTSTRAP_TIMEOUT,
        }
    )
)

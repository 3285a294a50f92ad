"""Every notebook the library creates in a VPC reaches that VPC's SageMaker API endpoint.

Idle auto-stop calls StopNotebookInstance from the notebook, and a notebook without
internet gets to SageMaker only through the interface endpoint a ``PresignedUrlApi``
creates (or is given). The endpoint's security group admits security groups, not the VPC
CIDR: cdk-nag's port rules cannot evaluate a CIDR token, and an imported VPC may not know
its CIDR. So notebooks and endpoints of one VPC meet here, in whichever order the app
creates them, and each pair gets one ingress rule.

One registry per stack, keyed by the VPC's construct path: a VPC imported twice is two
VPCs here, and a notebook in another stack admits itself with
``api.endpoint.connections.allow_default_port_from(notebook.connections)``.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from ..singleton import stack_singleton

REGISTRY_ID = "SageMakerNotebookAccessEndpointReach"


class EndpointReach(Construct):
    """No resources of its own: the notebooks and endpoints seen so far, per VPC."""

    @classmethod
    def of(cls, scope: Construct) -> EndpointReach:
        return stack_singleton(scope, REGISTRY_ID, cls)

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._notebooks: dict[str, list[ec2.IConnectable]] = {}
        # Per VPC: (endpoint, rule description), e.g. "Notebook to SageMaker API".
        self._endpoints: dict[str, list[tuple[ec2.IInterfaceVpcEndpoint, str]]] = {}

    def add_notebook(self, vpc: ec2.IVpc, notebook: ec2.IConnectable) -> None:
        self._notebooks.setdefault(vpc.node.path, []).append(notebook)
        for endpoint, description in self._endpoints.get(vpc.node.path, []):
            _admit(endpoint, notebook, description)

    def add_endpoint(
        self, vpc: ec2.IVpc, endpoint: ec2.IInterfaceVpcEndpoint, *, description: str
    ) -> None:
        endpoints = self._endpoints.setdefault(vpc.node.path, [])
        if any(known is endpoint for known, _ in endpoints):
            return
        endpoints.append((endpoint, description))
        for notebook in self._notebooks.get(vpc.node.path, []):
            _admit(endpoint, notebook, description)


def _admit(
    endpoint: ec2.IInterfaceVpcEndpoint, notebook: ec2.IConnectable, description: str
) -> None:
    # CDK names the rule after the peer and description, so a second call adds nothing.
    endpoint.connections.allow_default_port_from(notebook, description)

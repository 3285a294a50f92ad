#!/usr/bin/env python3
"""Sign in from a browser: a portal on the API, IAM Identity Center federated into Cognito.

Set-up in Identity Center, adding people, who may open what: docs/sign-in.md.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from sagemaker_notebook_access import IpRestrictedNotebook, SignIn


class ResearchStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        access = IpRestrictedNotebook(
            self,
            "Notebook",
            allowed_cidrs=["198.51.100.0/24"],
            notebook_instance_name="genomics",
            allow_start=True,  # a Start button for a stopped notebook
            # The pool's domain: https://research-notebooks.auth.<region>.amazoncognito.com
            sign_in=SignIn(
                domain_prefix="research-notebooks",
                identity_providers=[
                    cognito.UserPoolClientIdentityProvider.custom("IdentityCenter")
                ],
            ),
            owners=["ana@example.com"],  # a verified email (ASCII), or a Cognito sub
            groups=["genomics-team"],  # Cognito groups
        )
        # IAM Identity Center as a SAML application of the pool (the common case): its
        # metadata URL from the Identity Center console, email mapped from the assertion.
        identity_center = cognito.UserPoolIdentityProviderSaml(
            self,
            "IdentityCenter",
            name="IdentityCenter",
            user_pool=access.portal.user_pool,
            metadata=cognito.UserPoolIdentityProviderSamlMetadata.url(
                "https://portal.sso.eu-west-1.amazonaws.com/saml/metadata/EXAMPLE"
            ),
            attribute_mapping=cognito.AttributeMapping(
                email=cognito.ProviderAttribute.other(
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
                ),
                # Without it no federated email counts ("Who may open what", docs/sign-in.md).
                email_verified=cognito.ProviderAttribute.other("email_verified"),
            ),
        )
        access.portal.client.node.add_dependency(identity_center)
        cdk.CfnOutput(self, "PortalUrl", value=access.portal.portal_url)
        cdk.CfnOutput(self, "ApiUrl", value=access.api.url)


def build(app: cdk.App, env: cdk.Environment | None = None) -> list[cdk.Stack]:
    return [ResearchStack(app, "ResearchStack", env=env)]


if __name__ == "__main__":
    app = cdk.App()
    build(
        app,
        cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    app.synth()

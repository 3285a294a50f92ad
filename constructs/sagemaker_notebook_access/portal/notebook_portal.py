"""NotebookPortal: browser sign-in on a PresignedUrlApi, every URL still bound to the allow-list.

What it adds to the API (issue 11; docs/portal.md):

- ``GET /``: the page, authorization NONE (a browser cannot sign its first request); it
  holds no data and signs the person in with the user pool's managed login
  (authorization code + PKCE, the code exchanged by the browser: the VPC Lambda has no
  route to Cognito's hosted endpoints, and needs none).
- ``GET /portal/notebooks``, ``POST /portal/notebooks/{name}/open`` (and ``/start`` with
  ``allow_start``): a Cognito user pool authorizer validates the ID token on each call
  (the handler never validates a token itself), then the handler checks the source IP,
  the Origin and the notebook's owner/group tags.
- A resource-policy Allow for exactly those routes. Methods without IAM authorization
  need an explicit Allow ("How API Gateway resource policies affect authorization
  workflow", API Gateway developer guide); an Allow to every principal on the SigV4
  routes would admit other accounts, so it names only these. The IP deny still covers
  the whole API, and the URLs the browser routes mint carry the minting role's deny.

It adds to the API through the API's public ``rest_api`` and ``function_policy`` and its
internal seams: ``_check_portal_slot``/``_attach_portal`` (one portal an API) and
``_check_environment``/``_add_environment`` (the function's variables, within their
4 KiB), each check made before the portal exists; it writes none of the API's fields.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..acknowledgments import acknowledge
from ..api.capacity import (
    COGNITO_CLIENT_ID_MAX_CHARS,
    LONGEST_REGION,
    NOTEBOOK_ARN_PREFIX_MAX_CHARS,
    REST_API_ID_CHARS,
)
from ..api.presigned_url_api import PresignedUrlApi
from ..lambda_src.presigned_url.contract import (
    NAME_SEGMENT,
    PAGE_RESOURCE,
    PORTAL_LIST_RESOURCE,
    PORTAL_OPEN_RESOURCE,
    PORTAL_SCOPES,
    PORTAL_START_RESOURCE,
    Env,
)
from ..validation import is_number_token, validating
from .listing_access import (
    listing_statements,
    reach_listing_endpoint,
)
from .sign_in import (
    DEFAULT_NOTEBOOK_SESSION_MINUTES,
    DEFAULT_SESSION_MINUTES,
    NOTEBOOK_SESSION_MINUTES_MAX,
    POOL_REMOVAL_POLICIES,
    SESSION_MINUTES_MAX,
    SignIn,
    check_sign_in,
)

# Importable from here as before: SignIn (the package's public name maps here) and the
# defaults and policies the tests read.
__all__ = [
    "DEFAULT_NOTEBOOK_SESSION_MINUTES",
    "POOL_REMOVAL_POLICIES",
    "SIGNED_OUT_QUERY",
    "NotebookPortal",
    "SignIn",
]

# Cognito's refresh-token minimum (60 minutes); the page uses no refresh token, but CDK
# (like Cognito) refuses an ID or access token that outlives it, so it is at least the session.
REFRESH_TOKEN_MINUTES = 60
# The contract's scopes as CDK's objects (the names are Cognito's own).
_COGNITO_SCOPES = {
    "openid": cognito.OAuthScope.OPENID,
    "email": cognito.OAuthScope.EMAIL,
    "profile": cognito.OAuthScope.PROFILE,
}
SCOPES = [_COGNITO_SCOPES[name] for name in PORTAL_SCOPES]
SIGNED_OUT_QUERY = "?signed_out=1"


class NotebookPortal(Construct):
    """Browser sign-in for a ``PresignedUrlApi``: a page, a Cognito user pool, per-person access.

    A person signs in with the user pool's managed login (or the SAML/OIDC provider
    federated into it), sees the notebooks whose ``owners``/``groups`` tags name them,
    and opens one in a new tab. Every URL is minted by the API's role, so it opens
    only from the allow-list, and the page itself is served only there.

    :param api: the ``PresignedUrlApi`` to add the browser routes to. Required; one portal
        per API.
    :param user_pool: an existing user pool to sign in with. Default: a new pool (no
        self sign-up, email sign-in, TOTP MFA required, 12-character passwords), kept on
        stack deletion (``removal_policy``).
    :param domain_prefix: the managed login domain ``https://<prefix>.auth.<region>.
        amazoncognito.com`` to create on the pool: lowercase letters, digits, hyphens,
        unique in the region. Default: none; pass it unless ``sign_in_url`` names an
        existing domain (exactly one of the two).
    :param sign_in_url: the base URL of an existing domain of ``user_pool`` (managed login
        or custom domain), instead of creating one. Default: none. A managed login domain
        shows no page for a client without a branding style: add
        ``cognito.CfnManagedLoginBranding(..., client_id=portal.client.user_pool_client_id,
        use_cognito_provided_values=True)``; the classic hosted UI needs none.
    :param identity_providers: who may sign in through the portal's app client, e.g.
        ``[cognito.UserPoolClientIdentityProvider.custom("IdentityCenter")]`` for a SAML
        provider added to the pool. Default: the pool's own users.
    :param session_minutes: lifetime of the ID token the page holds, 5..1440; when it
        ends, the page signs the person in again (a managed-login session cookie
        usually makes that a redirect without a prompt). Default: 15. Until it ends, the
        token's groups and email stand even for a person removed from the group or pool
        (an ID token cannot be recalled).
    :param removal_policy: for the user pool this construct creates. Default:
        ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``: its users survive a stack delete; the
        pool is deleted only when the stack's first create fails and rolls back. Only
        ``RemovalPolicy.RETAIN`` (kept on every path, a failed first create included) turns
        on the pool's deletion protection: Cognito refuses to delete a protected pool, so
        with any policy that may delete it the rollback or delete would fail
        (ROLLBACK_FAILED). ``SNAPSHOT`` is refused (a user pool has no snapshot).
    :param tagging_endpoint: an existing Resource Groups Tagging API interface endpoint
        (``com.amazonaws.<region>.tagging``, private DNS on) in the API's VPC, which the
        listing reads the served notebooks through. Default: a new one in the API's subnets
        whose policy lets only the API's function call ``tag:GetResources``. Pass one where
        the VPC has such an endpoint already (two with private DNS cannot coexist).
    :param notebook_session_minutes: how long the Jupyter session an Open starts lasts,
        30..720 (SageMaker's 1800..43200 seconds), and never longer than the API's
        ``max_session_duration_seconds``. It is the revocation window: a person whose tag
        or group is removed keeps an open Jupyter until it ends (a presigned session
        cannot be ended early), then opens nothing more. Default: 60 (the API's own
        default, for SigV4 callers, is 12 hours).

    Entitlement: a person may open a notebook whose ``notebook-access:owners`` tag lists
    their ``sub`` or verified email (``email_verified`` true, from Cognito or mapped from
    the IdP; compared in ASCII only), or whose ``notebook-access:groups`` tag lists one of
    their ``cognito:groups`` but the ``<user pool id>_<IdP>`` group Cognito gives every
    federated person (``NotebookInstance(owners=..., groups=...)`` sets them; ``aws
    sagemaker add-tags`` changes them with no redeploy). docs/portal.md: the threat model.
    """

    api: PresignedUrlApi
    """The API the portal adds its routes to (``api``)."""
    portal_url: str
    """The page's URL: the API's stage URL, the client's callback URL."""
    user_pool: cognito.IUserPool
    """The pool people sign in with (``user_pool``, or a new one)."""
    domain: cognito.UserPoolDomain | None
    """The managed login domain created from ``domain_prefix``; None with ``sign_in_url``."""
    sign_in_url: str
    """The sign-in domain's base URL (``sign_in_url``, or the created domain's)."""
    client: cognito.UserPoolClient
    """The page's app client: authorization code with PKCE, no secret."""
    branding: cognito.CfnManagedLoginBranding | None
    """The managed login style of the client, on the created domain only (else None)."""
    tagging_endpoint: ec2.IInterfaceVpcEndpoint
    """The tagging API endpoint the listing goes through (``tagging_endpoint``, or a new one)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        api: PresignedUrlApi,
        user_pool: cognito.IUserPool | None = None,
        domain_prefix: str | None = None,
        sign_in_url: str | None = None,
        identity_providers: Sequence[cognito.UserPoolClientIdentityProvider] = (),
        session_minutes: int = DEFAULT_SESSION_MINUTES,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        notebook_session_minutes: int = DEFAULT_NOTEBOOK_SESSION_MINUTES,
        tagging_endpoint: ec2.IInterfaceVpcEndpoint | None = None,
    ) -> None:
        # Checked before the portal exists, so a refused one leaves nothing in the tree.
        with validating(scope, id):
            api._check_portal_slot()
            check_sign_in(
                domain_prefix=domain_prefix,
                sign_in_url=sign_in_url,
                session_minutes=session_minutes,
                removal_policy=removal_policy,
                notebook_session_minutes=notebook_session_minutes,
            )
            # Room in the function's environment, the client's id (not made yet) at its longest.
            api._check_environment(
                _function_variables(
                    api,
                    portal_url=_portal_url(api),
                    client_id=None,
                    sign_in_url=sign_in_url,
                    notebook_session_minutes=notebook_session_minutes,
                )
            )
        super().__init__(scope, id)
        api._attach_portal(self)
        self.api = api
        self.portal_url = _portal_url(api)
        self.user_pool = user_pool or self._create_user_pool(removal_policy)
        self.domain = None
        if sign_in_url is None:
            self.domain = cognito.UserPoolDomain(
                self,
                "Domain",
                user_pool=self.user_pool,
                cognito_domain=cognito.CognitoDomainOptions(domain_prefix=domain_prefix or ""),
                managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
            )
            sign_in_url = self.domain.base_url()
        self.sign_in_url = sign_in_url
        self.client = self._create_client(identity_providers, session_minutes)
        self.branding = self._create_branding() if self.domain is not None else None
        self._add_routes()
        self._configure_function(notebook_session_minutes)
        self.tagging_endpoint = reach_listing_endpoint(self, api, tagging_endpoint)

    def _create_user_pool(self, removal_policy: RemovalPolicy) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "UserPool",
            # People are added by the platform team or come through a federated IdP.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Managed login needs Essentials or Plus ("User pool managed login", Cognito
            # developer guide); Essentials is the cheaper of the two.
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            # Protected only where nothing may delete it: Cognito refuses to delete a pool
            # with deletion protection ACTIVE, so RETAIN_ON_UPDATE_OR_DELETE (deleted when
            # the first create rolls back) or DESTROY would end in ROLLBACK_FAILED.
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        acknowledge(pool, "AwsSolutions::AwsSolutions-COG8")
        return pool

    def _create_client(
        self,
        identity_providers: Sequence[cognito.UserPoolClientIdentityProvider],
        session_minutes: int,
    ) -> cognito.UserPoolClient:
        session = Duration.minutes(session_minutes)
        refresh_minutes = (
            SESSION_MINUTES_MAX
            if is_number_token(session_minutes)
            else max(REFRESH_TOKEN_MINUTES, session_minutes)
        )
        client = cognito.UserPoolClient(
            self,
            "Client",
            user_pool=self.user_pool,
            generate_secret=False,  # a browser app cannot keep a secret: PKCE instead
            # No password or SRP flows: sign-in only through managed login, so no token
            # carries aws.cognito.signin.user.admin (needed to change one's own email).
            auth_flows=cognito.AuthFlow(
                user_password=False, user_srp=False, custom=False, admin_user_password=False
            ),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=SCOPES,
                callback_urls=[self.portal_url],
                # The page's signed-out state (portal.js): it does not sign straight back in.
                logout_urls=[self.portal_url + SIGNED_OUT_QUERY],
            ),
            supported_identity_providers=list(identity_providers)
            or [cognito.UserPoolClientIdentityProvider.COGNITO],
            id_token_validity=session,
            access_token_validity=session,
            refresh_token_validity=Duration.minutes(refresh_minutes),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
        )
        return client

    def _create_branding(self) -> cognito.CfnManagedLoginBranding:
        # Clients made through CloudFormation get no login pages until a branding style
        # is applied (CLI reference, update-user-pool-client; the managed login guide).
        # Only on the managed login domain this construct creates: a given domain may be
        # the classic hosted UI (the only one on the Lite plan), where a style has no place.
        return cognito.CfnManagedLoginBranding(
            self,
            "Branding",
            user_pool_id=self.user_pool.user_pool_id,
            client_id=self.client.user_pool_client_id,
            use_cognito_provided_values=True,
        )

    def _add_routes(self) -> None:
        """The page and the Cognito-authorized routes, and the resource-policy Allow for them."""
        api = self.api
        rest_api = api.rest_api
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[self.user_pool]
        )
        integration = apigw.LambdaIntegration(api.function, allow_test_invoke=False)
        signed_in = {
            "authorization_type": apigw.AuthorizationType.COGNITO,
            "authorizer": authorizer,
        }
        page = rest_api.root.add_method(
            "GET", integration, authorization_type=apigw.AuthorizationType.NONE
        )
        acknowledge(page, "AwsSolutions::AwsSolutions-APIG4")
        routes = [("GET", PORTAL_LIST_RESOURCE), ("POST", PORTAL_OPEN_RESOURCE)]
        if api.allow_start:
            routes.append(("POST", PORTAL_START_RESOURCE))
        for method, resource in routes:
            rest_api.root.resource_for_path(resource).add_method(method, integration, **signed_in)
        paths = [f"GET{PAGE_RESOURCE}"] + [
            f"{method}{resource.replace(NAME_SEGMENT, '*')}" for method, resource in routes
        ]
        rest_api.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBrowserRoutesFromAllowedCidrs",
                principals=[iam.AnyPrincipal()],
                actions=["execute-api:Invoke"],
                resources=[f"execute-api:/{api.stage_name}/{path}" for path in paths],
            )
        )

    def _configure_function(self, notebook_session_minutes: int) -> None:
        """What the function needs for the browser routes: two permissions, five variables."""
        api = self.api
        api.function_policy.add_statements(*listing_statements(self))
        variables = _function_variables(
            api,
            portal_url=self.portal_url,
            client_id=self.client.user_pool_client_id,
            sign_in_url=self.sign_in_url,
            notebook_session_minutes=notebook_session_minutes,
        )
        for name, (value, max_chars) in variables.items():
            api._add_environment(name, value, max_chars=max_chars)


def _portal_url(api: PresignedUrlApi) -> str:
    stack = Stack.of(api)
    return (
        f"https://{api.rest_api.rest_api_id}.execute-api.{stack.region}."
        f"{stack.url_suffix}/{api.stage_name}/"
    )


def _function_variables(
    api: PresignedUrlApi,
    *,
    portal_url: str,
    client_id: str | None,
    sign_in_url: str | None,
    notebook_session_minutes: int,
) -> dict[str, tuple[str | None, int]]:
    """The variables a portal gives the function: each value (None while what makes it does
    not exist yet) and the longest a token value resolves to (api/capacity.py counts so)."""
    stack = Stack.of(api)
    longest_host = f".{LONGEST_REGION}.amazonaws.com.cn"
    return {
        Env.PORTAL_URL: (
            portal_url,
            len(f"https://{'x' * REST_API_ID_CHARS}.execute-api{longest_host}/{api.stage_name}/"),
        ),
        Env.PORTAL_CLIENT_ID: (client_id, COGNITO_CLIENT_ID_MAX_CHARS),
        Env.PORTAL_SIGN_IN_URL: (
            sign_in_url,
            len(f"https://{'x' * 63}.auth.{LONGEST_REGION}.amazoncognito.com"),
        ),
        Env.PORTAL_NOTEBOOK_SESSION_MINUTES: (
            Token.as_string(notebook_session_minutes)
            if is_number_token(notebook_session_minutes)
            else str(notebook_session_minutes),
            len(str(NOTEBOOK_SESSION_MINUTES_MAX)),
        ),
        Env.NOTEBOOK_ARN_PREFIX: (
            f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:notebook-instance/",
            NOTEBOOK_ARN_PREFIX_MAX_CHARS,
        ),
    }

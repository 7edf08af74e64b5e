"""Authorization: how the API authenticates its callers, one class per mode.

Pick one with a factory: ``Authorization.iam()`` (the default), ``.cognito(...)``,
``.api_keys(...)`` or ``.none()``. Each mode binds itself to the API
(:meth:`Authorization.bind`): it creates what it needs (a user pool and authorizer, a
usage plan) and tells the API the method options, the header that tells callers apart in
the cache key, and the cdk-nag findings the mode explains. ``CachedRestApi`` applies the
binding and never asks which mode it has, as aws-cdk-lib's ``ApiDefinition.bind`` and
``Code.bind`` do for their variants. The binding, and the aspect that acknowledges its
findings on each method, are in ``authorization_binding.py``.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Annotations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk_serverless_crud import acknowledgments, defaults, validation
from cdk_serverless_crud.authorization_binding import (
    AcknowledgeAuthorizationFindings as AcknowledgeAuthorizationFindings,
)
from cdk_serverless_crud.authorization_binding import (
    AuthorizationBinding as AuthorizationBinding,
)
from cdk_serverless_crud.user_pool import create_user_pool


class AuthorizationMode(enum.Enum):
    """The kinds of :class:`Authorization`, by API Gateway's name for them."""

    IAM = "AWS_IAM"
    """SigV4-signed requests, allowed by IAM policies."""
    COGNITO = "COGNITO_USER_POOLS"
    """JSON web tokens of a Cognito user pool."""
    API_KEY = "API_KEY"
    """An API key of the API's usage plan in the ``x-api-key`` header."""
    NONE = "NONE"
    """Anyone on the internet."""
    CUSTOM = "CUSTOM"
    """A mode of your own, such as a Lambda authorizer: subclass :class:`Authorization`."""


_ALLOWED_MFA = (cognito.Mfa.REQUIRED, cognito.Mfa.OPTIONAL)


class Authorization(abc.ABC):
    """How the API authenticates callers. Build one with a factory method:

    - :meth:`iam` (the default): callers sign requests with SigV4 and need
      ``execute-api:Invoke``, which ``grant_invoke_read`` / ``grant_invoke_read_write`` give;
    - :meth:`cognito`: callers send a Cognito user pool token in ``Authorization``;
    - :meth:`api_keys`: callers send an API key of the usage plan in ``x-api-key``;
    - :meth:`none`: a public API; the construct adds a warning.

    For another mode, such as a Lambda authorizer, subclass it with ``mode =
    AuthorizationMode.CUSTOM`` and a :meth:`bind` that returns the method options.
    """

    mode: ClassVar[AuthorizationMode]
    """Which kind of authorization."""

    grants_by_iam: ClassVar[bool] = False
    """Whether IAM policies decide access, so that ``grant_invoke_*`` grants mean something."""

    @abc.abstractmethod
    def bind(self, scope: Construct) -> AuthorizationBinding:
        """Create what the mode needs in ``scope`` (the API) and say how methods use it."""

    def bind_stage(self, rest_api: apigateway.RestApi) -> apigateway.UsagePlan | None:
        """Attach what the mode needs to the deployed stage; the usage plan of API keys.

        :default: nothing
        """
        return None

    @property
    def caller_header(self) -> str | None:
        """The header that tells callers apart, which cached answers must be keyed on.

        ``Authorization`` with Cognito, ``x-api-key`` with API keys. None with IAM, whose
        signature changes with every request, and with no authorization: API Gateway
        authorizes each request before the cache answers, and the items are the same for
        every caller allowed to read them.
        """
        return None

    @staticmethod
    def iam() -> IamAuthorization:
        """AWS IAM (SigV4): each request is signed, and IAM policies allow each method."""
        return IamAuthorization()

    @staticmethod
    def cognito(
        user_pool: cognito.IUserPool | None = None,
        *,
        scopes: Sequence[str] = (),
        mfa: cognito.Mfa | None = None,
        threat_protection: bool | None = None,
    ) -> CognitoAuthorization:
        """A Cognito user pool authorizer on every method.

        :param user_pool: an existing pool. Default: a pool the API creates, with no
            self sign-up, sign-in by email, a 14-character password policy, TOTP MFA,
            threat protection, deletion protection, and an app client (SRP sign-in, no
            client secret, no OAuth flows, 1-hour tokens, 30-day refresh, revocation on).
        :param scopes: OAuth scopes an access token must carry, defined by a resource
            server of your ``user_pool``. Default: none, and the authorizer accepts ID
            tokens.
        :param mfa: for the created pool, ``Mfa.REQUIRED`` or ``Mfa.OPTIONAL``.
            Default: ``Mfa.REQUIRED``.
        :param threat_protection: for the created pool, the Plus feature plan with
            full-function threat protection (adaptive authentication, compromised
            credentials). Default: True.
        """
        if user_pool is not None:
            for name, value in (("mfa", mfa), ("threat_protection", threat_protection)):
                if value is not None:
                    raise ValueError(
                        f"Authorization.cognito({name}=...) only configures the user pool "
                        f"the API creates; got {name}={value!r} with an existing user_pool. "
                        "Configure it on your user pool instead."
                    )
        if scopes and user_pool is None:
            raise ValueError(
                f"Authorization.cognito(scopes=...) needs your own user_pool, whose resource "
                f"server defines the scopes; got scopes={list(scopes)!r} without a user_pool."
            )
        if mfa is not None and mfa not in _ALLOWED_MFA:
            raise ValueError(
                f"Authorization.cognito(mfa=...) must be Mfa.REQUIRED or Mfa.OPTIONAL; got {mfa!r}."
            )
        for scope in scopes:
            validation.check_format(
                "Authorization.cognito(scopes=...)",
                scope,
                r"[\x21\x23-\x5B\x5D-\x7E]+",
                "an OAuth scope such as 'items/read' (printable, no spaces, quotes or backslashes)",
            )
        if threat_protection is None:
            threat_protection = defaults.COGNITO_THREAT_PROTECTION
        return CognitoAuthorization(
            user_pool=user_pool,
            scopes=tuple(scopes),
            mfa=mfa or defaults.COGNITO_MFA,
            threat_protection=threat_protection,
        )

    @staticmethod
    def api_keys(
        *,
        quota_limit: int = defaults.API_KEY_QUOTA_LIMIT,
        quota_period: apigateway.Period = defaults.API_KEY_QUOTA_PERIOD,
        throttling_rate_limit: float = defaults.API_KEY_THROTTLING_RATE_LIMIT,
        throttling_burst_limit: int = defaults.API_KEY_THROTTLING_BURST_LIMIT,
    ) -> ApiKeyAuthorization:
        """API keys: every method requires a key of the API's usage plan.

        Add keys with ``CachedRestApi.add_api_key``. API keys identify callers and meter
        them; they are not secret credentials, so prefer :meth:`iam` or :meth:`cognito`
        to authorize.

        :param quota_limit: requests per key per ``quota_period``. Default: 10000.
        :param quota_period: the quota's period. Default: ``Period.DAY``.
        :param throttling_rate_limit: requests per second per key. Default: 10.
        :param throttling_burst_limit: burst per key. Default: 20.
        """
        validation.check_range("Authorization.api_keys(quota_limit=...)", quota_limit, 1)
        validation.check_range(
            "Authorization.api_keys(throttling_rate_limit=...)", throttling_rate_limit, 0
        )
        validation.check_range(
            "Authorization.api_keys(throttling_burst_limit=...)", throttling_burst_limit, 0
        )
        return ApiKeyAuthorization(
            quota_limit=quota_limit,
            quota_period=quota_period,
            throttling_rate_limit=throttling_rate_limit,
            throttling_burst_limit=throttling_burst_limit,
        )

    @staticmethod
    def none() -> NoAuthorization:
        """No authorization: anyone who knows the URL may read and write. Adds a warning."""
        return NoAuthorization()


@dataclass(frozen=True)
class IamAuthorization(Authorization):
    """AWS IAM (SigV4) on every method; build it with :meth:`Authorization.iam`."""

    mode = AuthorizationMode.IAM
    """Always ``AuthorizationMode.IAM``."""
    grants_by_iam = True
    """Always True: IAM policies decide access."""

    def bind(self, scope: Construct) -> AuthorizationBinding:
        """Every method requires a SigV4 signature allowed by IAM."""
        return AuthorizationBinding(
            method_options=apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.IAM
            ),
            acknowledgments={"AwsSolutions-COG4": acknowledgments.IAM_NOT_COGNITO},
        )


@dataclass(frozen=True, kw_only=True)
class CognitoAuthorization(Authorization):
    """A Cognito user pool authorizer; build it with :meth:`Authorization.cognito`."""

    mode = AuthorizationMode.COGNITO
    """Always ``AuthorizationMode.COGNITO``."""

    user_pool: cognito.IUserPool | None = None
    """An existing user pool, or None for one the API creates.

    :default: None
    """

    scopes: tuple[str, ...] = ()
    """OAuth scopes an access token must carry; none accepts ID tokens.

    :default: no scopes
    """

    mfa: cognito.Mfa = defaults.COGNITO_MFA
    """For the created pool: multi-factor authentication, REQUIRED or OPTIONAL (TOTP).

    :default: Mfa.REQUIRED
    """

    threat_protection: bool = defaults.COGNITO_THREAT_PROTECTION
    """For the created pool: the Plus feature plan with full-function threat protection.

    :default: True
    """

    @property
    def caller_header(self) -> str:
        """``Authorization``: the token differs per user."""
        return "Authorization"

    def bind(self, scope: Construct) -> AuthorizationBinding:
        """The user pool (``UserPool``, created unless given) and its ``Authorizer``."""
        pool: cognito.IUserPool
        client: cognito.UserPoolClient | None = None
        if self.user_pool is None:
            pool, client = create_user_pool(
                scope, mfa=self.mfa, threat_protection=self.threat_protection
            )
        else:
            pool = self.user_pool
        authorizer = apigateway.CognitoUserPoolsAuthorizer(
            scope,
            "Authorizer",
            cognito_user_pools=[pool],
            identity_source=apigateway.IdentitySource.header(self.caller_header),
        )
        return AuthorizationBinding(
            method_options=apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.COGNITO,
                authorizer=authorizer,
                authorization_scopes=list(self.scopes) or None,
            ),
            caller_header=self.caller_header,
            authorizer=authorizer,
            user_pool=pool,
            user_pool_client=client,
        )


@dataclass(frozen=True, kw_only=True)
class ApiKeyAuthorization(Authorization):
    """API keys of a usage plan; build it with :meth:`Authorization.api_keys`."""

    mode = AuthorizationMode.API_KEY
    """Always ``AuthorizationMode.API_KEY``."""

    quota_limit: int = defaults.API_KEY_QUOTA_LIMIT
    """Requests one key may make per ``quota_period``, at least 1.

    :default: 10000
    """

    quota_period: apigateway.Period = defaults.API_KEY_QUOTA_PERIOD
    """The period of ``quota_limit``.

    :default: Period.DAY
    """

    throttling_rate_limit: float = defaults.API_KEY_THROTTLING_RATE_LIMIT
    """Steady-state requests per second per key, at least 0.

    :default: 10
    """

    throttling_burst_limit: int = defaults.API_KEY_THROTTLING_BURST_LIMIT
    """Requests per key in a burst above the rate, at least 0.

    :default: 20
    """

    @property
    def caller_header(self) -> str:
        """``x-api-key``: the key differs per caller."""
        return "x-api-key"

    def bind(self, scope: Construct) -> AuthorizationBinding:
        """Every method requires an API key, and no other authorization."""
        return _without_authorizer(
            api_key_required=True,
            caller_header=self.caller_header,
            reason=acknowledgments.API_KEY_NOT_AUTHORIZATION,
        )

    def bind_stage(self, rest_api: apigateway.RestApi) -> apigateway.UsagePlan:
        """The usage plan (``UsagePlan``) of the stage, with the quota and throttling."""
        return rest_api.add_usage_plan(
            "UsagePlan",
            description="Quota and throttling per API key",
            quota=apigateway.QuotaSettings(limit=self.quota_limit, period=self.quota_period),
            throttle=apigateway.ThrottleSettings(
                rate_limit=self.throttling_rate_limit, burst_limit=self.throttling_burst_limit
            ),
            api_stages=[
                apigateway.UsagePlanPerApiStage(api=rest_api, stage=rest_api.deployment_stage)
            ],
        )


@dataclass(frozen=True)
class NoAuthorization(Authorization):
    """No authorization, for a public API; build it with :meth:`Authorization.none`."""

    mode = AuthorizationMode.NONE
    """Always ``AuthorizationMode.NONE``."""

    def bind(self, scope: Construct) -> AuthorizationBinding:
        """Every method is open; the API gets a warning annotation."""
        Annotations.of(scope).add_warning_v2(
            "cdk-serverless-crud:no-authorization",
            "Authorization.none(): anyone who knows the URL can read and write items. "
            "Use Authorization.iam() (the default), .cognito() or .api_keys() unless "
            "the API is meant to be public.",
        )
        return _without_authorizer(
            api_key_required=False,
            caller_header=None,
            reason=acknowledgments.NO_AUTHORIZATION,
        )


def _without_authorizer(
    *, api_key_required: bool, caller_header: str | None, reason: str
) -> AuthorizationBinding:
    """Methods with no authorizer, which cdk-nag's APIG4 and COG4 flag, for ``reason``."""
    return AuthorizationBinding(
        method_options=apigateway.MethodOptions(
            authorization_type=apigateway.AuthorizationType.NONE,
            api_key_required=api_key_required,
        ),
        caller_header=caller_header,
        acknowledgments={"AwsSolutions-APIG4": reason, "AwsSolutions-COG4": reason},
    )

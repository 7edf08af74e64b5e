"""Authorization: how the API authenticates its callers, chosen with a factory method.

``Authorization.iam()`` (the default), ``Authorization.cognito(...)``,
``Authorization.api_keys(...)`` or ``Authorization.none()``. ``CachedRestApi`` applies
the choice to every method, and keys cached answers per caller where the answer could
otherwise reach another caller.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk_serverless_crud import acknowledgments, defaults, validation


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


_CALLER_HEADERS = {
    AuthorizationMode.COGNITO: "Authorization",
    AuthorizationMode.API_KEY: "x-api-key",
}
_ALLOWED_MFA = (cognito.Mfa.REQUIRED, cognito.Mfa.OPTIONAL)


@dataclass(frozen=True, kw_only=True)
class Authorization:
    """How the API authenticates callers. Build one with a factory method:

    - :meth:`iam` (the default): callers sign requests with SigV4 and need
      ``execute-api:Invoke``, which ``grant_invoke_read`` / ``grant_invoke_read_write`` give;
    - :meth:`cognito`: callers send a Cognito user pool token in ``Authorization``;
    - :meth:`api_keys`: callers send an API key of the usage plan in ``x-api-key``;
    - :meth:`none`: a public API; the construct adds a warning.

    The fields hold the settings of the chosen mode; the others keep their defaults.
    """

    mode: AuthorizationMode
    """Which kind of authorization."""

    user_pool: cognito.IUserPool | None = None
    """COGNITO: an existing user pool, or None for one the API creates.

    :default: None
    """

    scopes: tuple[str, ...] = ()
    """COGNITO: OAuth scopes an access token must carry; none accepts ID tokens.

    :default: no scopes
    """

    mfa: cognito.Mfa = defaults.COGNITO_MFA
    """COGNITO, created pool: multi-factor authentication, REQUIRED or OPTIONAL (TOTP).

    :default: Mfa.REQUIRED
    """

    threat_protection: bool = defaults.COGNITO_THREAT_PROTECTION
    """COGNITO, created pool: the Plus feature plan with full-function threat protection.

    :default: True
    """

    quota_limit: int = defaults.API_KEY_QUOTA_LIMIT
    """API_KEY: requests one key may make per ``quota_period``, at least 1.

    :default: 10000
    """

    quota_period: apigateway.Period = defaults.API_KEY_QUOTA_PERIOD
    """API_KEY: the period of ``quota_limit``.

    :default: Period.DAY
    """

    throttling_rate_limit: float = defaults.API_KEY_THROTTLING_RATE_LIMIT
    """API_KEY: steady-state requests per second per key, at least 0.

    :default: 10
    """

    throttling_burst_limit: int = defaults.API_KEY_THROTTLING_BURST_LIMIT
    """API_KEY: requests per key in a burst above the rate, at least 0.

    :default: 20
    """

    @staticmethod
    def iam() -> Authorization:
        """AWS IAM (SigV4): each request is signed, and IAM policies allow each method."""
        return Authorization(mode=AuthorizationMode.IAM)

    @staticmethod
    def cognito(
        user_pool: cognito.IUserPool | None = None,
        *,
        scopes: Sequence[str] = (),
        mfa: cognito.Mfa | None = None,
        threat_protection: bool | None = None,
    ) -> Authorization:
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
        return Authorization(
            mode=AuthorizationMode.COGNITO,
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
    ) -> Authorization:
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
        return Authorization(
            mode=AuthorizationMode.API_KEY,
            quota_limit=quota_limit,
            quota_period=quota_period,
            throttling_rate_limit=throttling_rate_limit,
            throttling_burst_limit=throttling_burst_limit,
        )

    @staticmethod
    def none() -> Authorization:
        """No authorization: anyone who knows the URL may read and write. Adds a warning."""
        return Authorization(mode=AuthorizationMode.NONE)

    @property
    def caller_header(self) -> str | None:
        """The header that tells callers apart, which cached answers must be keyed on.

        ``Authorization`` with Cognito, ``x-api-key`` with API keys. None with IAM, whose
        signature changes with every request, and with no authorization: API Gateway
        authorizes each request before the cache answers, and the items are the same for
        every caller allowed to read them.
        """
        return _CALLER_HEADERS.get(self.mode)


def create_user_pool(
    scope: Construct, authorization: Authorization
) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
    """The user pool (id ``UserPool``) and app client (``UserPoolClient``) for COGNITO."""
    plus = authorization.threat_protection
    pool = cognito.UserPool(
        scope,
        "UserPool",
        self_sign_up_enabled=defaults.COGNITO_SELF_SIGN_UP,
        sign_in_aliases=cognito.SignInAliases(email=True),
        sign_in_case_sensitive=False,
        auto_verify=cognito.AutoVerifiedAttrs(email=True),
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        mfa=authorization.mfa,
        mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
        password_policy=cognito.PasswordPolicy(
            min_length=defaults.COGNITO_PASSWORD_MIN_LENGTH,
            require_lowercase=True,
            require_uppercase=True,
            require_digits=True,
            require_symbols=True,
            temp_password_validity=defaults.COGNITO_TEMP_PASSWORD_VALIDITY,
        ),
        feature_plan=cognito.FeaturePlan.PLUS if plus else cognito.FeaturePlan.ESSENTIALS,
        standard_threat_protection_mode=(
            cognito.StandardThreatProtectionMode.FULL_FUNCTION if plus else None
        ),
        deletion_protection=True,
        removal_policy=defaults.COGNITO_REMOVAL_POLICY,
    )
    if authorization.mfa is not cognito.Mfa.REQUIRED:
        acknowledgments.acknowledge(
            pool, "AwsSolutions-COG2", acknowledgments.USER_POOL_MFA_OPTIONAL
        )
    if not plus:
        acknowledgments.acknowledge(pool, "AwsSolutions-COG8", acknowledgments.USER_POOL_ESSENTIALS)
    client = pool.add_client(
        "UserPoolClient",
        auth_flows=cognito.AuthFlow(user_srp=True),
        generate_secret=False,
        disable_o_auth=True,
        prevent_user_existence_errors=True,
        enable_token_revocation=True,
        access_token_validity=defaults.COGNITO_ACCESS_TOKEN_VALIDITY,
        id_token_validity=defaults.COGNITO_ACCESS_TOKEN_VALIDITY,
        refresh_token_validity=defaults.COGNITO_REFRESH_TOKEN_VALIDITY,
    )
    return pool, client

"""The Cognito user pool and app client that ``Authorization.cognito()`` creates."""

from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk_serverless_crud import acknowledgments, defaults


def create_user_pool(
    scope: Construct, *, mfa: cognito.Mfa, threat_protection: bool
) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
    """An invitation-only user pool (id ``UserPool``) and its app client (``UserPoolClient``).

    :param mfa: ``Mfa.REQUIRED`` or ``Mfa.OPTIONAL`` (TOTP).
    :param threat_protection: the Plus feature plan with full-function threat protection.
    """
    plus = threat_protection
    pool = cognito.UserPool(
        scope,
        "UserPool",
        self_sign_up_enabled=defaults.COGNITO_SELF_SIGN_UP,
        sign_in_aliases=cognito.SignInAliases(email=True),
        sign_in_case_sensitive=False,
        auto_verify=cognito.AutoVerifiedAttrs(email=True),
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        mfa=mfa,
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
    if mfa is not cognito.Mfa.REQUIRED:
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

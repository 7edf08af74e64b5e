"""IAM grants on the API's methods: ``execute-api`` actions on this stage's method ARNs."""

from collections.abc import Sequence

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam

from cdk_serverless_crud import acknowledgments
from cdk_serverless_crud.authorization import Authorization
from cdk_serverless_crud.contract import openapi as contract


def grant_execute_api(
    rest_api: apigateway.RestApi,
    stage_name: str,
    authorization: Authorization,
    grantee: iam.IGrantable,
    action: str,
    http_methods: Sequence[str],
) -> iam.Grant:
    """Let ``grantee`` perform ``action`` on every method of ``http_methods`` that exists now.

    Path parameters become ``*`` in the ARNs, which is acknowledged for cdk-nag on the
    grantee's policy. Raises ``ValueError`` unless IAM decides access, or when no such
    method exists yet.
    """
    if not authorization.grants_by_iam:
        raise ValueError(
            f"{action} grants need authorization=Authorization.iam(): IAM policies only "
            f"decide access to methods that use AWS_IAM; this API uses "
            f"{authorization.mode.name}."
        )
    wanted = {verb.upper() for verb in http_methods}
    paths = {
        (method.http_method, contract.with_wildcards(method.resource.path)): None
        for method in rest_api.methods
        if method.http_method in wanted
    }
    if not paths:
        raise ValueError(
            f"{action} grants found no {', '.join(sorted(wanted))} method on this API; "
            "add the routes first."
        )
    arns = [rest_api.arn_for_execute_api(verb, path, stage_name) for verb, path in paths]
    grant = iam.Grant.add_to_principal(grantee=grantee, actions=[action], resource_arns=arns)
    acknowledgments.acknowledge_on_grantee(
        grantee,
        [arn for arn, (_, path) in zip(arns, paths, strict=True) if "*" in path],
        acknowledgments.EXECUTE_API_PATH_PARAMETERS,
    )
    return grant

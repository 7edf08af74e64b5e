"""AuthorizationBinding: what an authorization mode gives the API it is bound to.

Each mode's :meth:`Authorization.bind` returns one (``authorization.py``); the API
applies it without asking which mode it has: its method options become every method's
defaults, its caller header joins the cache keys, and :func:`acknowledge_findings` adds
an aspect that acknowledges the binding's cdk-nag findings on each method that uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import jsii
from aws_cdk import Aspects, IAspect
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from constructs import IConstruct

from cdk_serverless_crud import acknowledgments


@dataclass(frozen=True, kw_only=True)
class AuthorizationBinding:
    """What an :class:`Authorization` gives the API it is bound to."""

    method_options: apigateway.MethodOptions
    """The default options of every method of the API."""

    caller_header: str | None = None
    """The header that tells callers apart, which cached answers must be keyed on.

    :default: None, callers need not be told apart
    """

    acknowledgments: Mapping[str, str] = field(default_factory=dict)
    """cdk-nag rule ids and why they do not apply, for every method that uses
    :attr:`method_options` (the API acknowledges them on each such method).

    :default: none
    """

    authorizer: apigateway.IAuthorizer | None = None
    """The authorizer of every method, with Cognito.

    :default: None
    """

    user_pool: cognito.IUserPool | None = None
    """The user pool callers sign in to, with Cognito.

    :default: None
    """

    user_pool_client: cognito.UserPoolClient | None = None
    """The app client of a user pool the API created.

    :default: None
    """


#: ``AuthorizationType`` as CloudFormation writes it on a method.
_CFN_AUTHORIZATION_TYPES = {
    apigateway.AuthorizationType.NONE: "NONE",
    apigateway.AuthorizationType.IAM: "AWS_IAM",
    apigateway.AuthorizationType.CUSTOM: "CUSTOM",
    apigateway.AuthorizationType.COGNITO: "COGNITO_USER_POOLS",
}


def acknowledge_findings(rest_api: apigateway.RestApi, binding: AuthorizationBinding) -> None:
    """Acknowledge the binding's findings on each method of ``rest_api`` that uses it."""
    if binding.acknowledgments:
        Aspects.of(rest_api).add(AcknowledgeAuthorizationFindings(binding))


@jsii.implements(IAspect)
class AcknowledgeAuthorizationFindings:
    """Acknowledges, per method, the findings that the binding's authorization explains.

    A method whose settings differ from the binding's (a route added with its own
    authorization) is left to the checks.
    """

    def __init__(self, binding: AuthorizationBinding) -> None:
        kind = binding.method_options.authorization_type or apigateway.AuthorizationType.NONE
        self._authorization_type = _CFN_AUTHORIZATION_TYPES[kind]
        self._api_key_required = binding.method_options.api_key_required is True
        self._acknowledgments = dict(binding.acknowledgments)

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, apigateway.CfnMethod) or node.http_method == "OPTIONS":
            return
        if (node.authorization_type or "NONE") != self._authorization_type:
            return
        if self._api_key_required and node.api_key_required is not True:
            return
        for rule, reason in self._acknowledgments.items():
            acknowledgments.acknowledge(node, rule, reason)

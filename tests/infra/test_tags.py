"""Tags: every taggable resource of the service carries Environment, Project and Owner."""

from aws_cdk import CfnResource, TagManager

from .helpers import REQUIRED_TAGS, Synthesized


def _tags(properties: dict[str, object]) -> dict[str, str]:
    tags = properties.get("Tags", [])
    if isinstance(tags, dict):
        return dict(tags)
    assert isinstance(tags, list)
    return {tag["Key"]: tag["Value"] for tag in tags}


def test_every_taggable_resource_carries_the_required_tags(default_service: Synthesized) -> None:
    stack, template = default_service.stack, default_service.template
    all_resources = template.to_json()["Resources"]
    taggable = {
        stack.get_logical_id(construct)
        for construct in stack.node.find_all()
        if isinstance(construct, CfnResource) and TagManager.is_taggable(construct)
    }
    assert {all_resources[logical_id]["Type"] for logical_id in taggable} >= {
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::Logs::LogGroup",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Stage",
    }
    untagged = {
        logical_id: _tags(all_resources[logical_id].get("Properties", {}))
        for logical_id in taggable
        if _tags(all_resources[logical_id].get("Properties", {})) != REQUIRED_TAGS
    }
    assert untagged == {}


def test_resources_without_tags_are_the_ones_aws_cannot_tag(
    default_service: Synthesized,
) -> None:
    untaggable = {
        resource["Type"]
        for resource in default_service.template.to_json()["Resources"].values()
        if "Tags" not in resource.get("Properties", {})
    }
    assert untaggable == {
        "AWS::ApiGateway::Account",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Model",
        "AWS::ApiGateway::RequestValidator",
        "AWS::ApiGateway::Resource",
        "AWS::IAM::Policy",
        "AWS::Lambda::Permission",
        "AWS::S3::BucketPolicy",
    }

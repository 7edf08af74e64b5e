"""TimeSeriesTable: the DynamoDB table holding every version of every item."""

from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_serverless_crud import acknowledgments, defaults


@dataclass(frozen=True, kw_only=True)
class TimeSeriesTableProps:
    """Overrides for :class:`TimeSeriesTable`.

    The key schema, the listing index, on-demand billing and encryption at rest are not
    optional: the runtime depends on them.
    """

    encryption_key: kms.IKey | None = None
    """A customer-managed KMS key to encrypt the table with.

    :default: None, an AWS-managed key (``aws/dynamodb``)
    """

    point_in_time_recovery: bool = defaults.POINT_IN_TIME_RECOVERY
    """Keep continuous backups for point-in-time restore.

    :default: True
    """

    deletion_protection: bool = defaults.DELETION_PROTECTION
    """Refuse ``DeleteTable`` until this is turned off.

    :default: True
    """

    removal_policy: RemovalPolicy = defaults.TABLE_REMOVAL_POLICY
    """What happens to the table when it leaves the stack.

    :default: RemovalPolicy.RETAIN
    """

    stream: dynamodb.StreamViewType | None = None
    """Turn on the table's DynamoDB stream, with this view of each changed record.
    Change events (``ServerlessCrudService(events=...)``) set ``NEW_IMAGE``.

    :default: None, no stream
    """


class TimeSeriesTable(Construct):
    """A DynamoDB table keyed by item ``id`` (string) and version ``timestamp`` (number).

    It carries the sparse global secondary index ``latest-items`` (partition key
    ``listing``, sort key ``id``, all attributes projected) that lists live items without
    a Scan; see ``docs/design.md``. A typed collection's indexes add one sparse index
    each, with :meth:`add_attribute_index`. Time to live is on, on ``expires_at``, which
    only the records of Idempotency-Keys carry. The table is ``.table``.
    """

    PARTITION_KEY = "id"
    SORT_KEY = "timestamp"
    LIST_INDEX_NAME = "latest-items"
    LIST_INDEX_PARTITION_KEY = "listing"
    TIME_TO_LIVE_ATTRIBUTE = "expires_at"
    """DynamoDB TTL deletes a record some time after this epoch second: only the
    Idempotency-Key records carry it, never a version or a head."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: TimeSeriesTableProps | None = None
    ) -> None:
        """Create the table and its listing index.

        :param props: overrides of the defaults. Default: ``TimeSeriesTableProps()``.
        """
        super().__init__(scope, construct_id)
        props = props or TimeSeriesTableProps()
        self._attribute_indexes: list[str] = []
        self._staged_indexes: list[dict[str, Any]] = []
        string = dynamodb.AttributeType.STRING
        self.table = dynamodb.Table(
            self,
            "Resource",
            partition_key=dynamodb.Attribute(name=self.PARTITION_KEY, type=string),
            sort_key=dynamodb.Attribute(name=self.SORT_KEY, type=dynamodb.AttributeType.NUMBER),
            billing_mode=defaults.TABLE_BILLING_MODE,
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED
                if props.encryption_key
                else defaults.TABLE_ENCRYPTION
            ),
            encryption_key=props.encryption_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=props.point_in_time_recovery
            ),
            deletion_protection=props.deletion_protection,
            removal_policy=props.removal_policy,
            time_to_live_attribute=self.TIME_TO_LIVE_ATTRIBUTE,
            stream=props.stream,
        )
        self.table.add_global_secondary_index(
            index_name=self.LIST_INDEX_NAME,
            partition_key=dynamodb.Attribute(name=self.LIST_INDEX_PARTITION_KEY, type=string),
            sort_key=dynamodb.Attribute(name=self.PARTITION_KEY, type=string),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        if not props.point_in_time_recovery:
            acknowledgments.acknowledge(
                self.table, "AwsSolutions-DDB3", acknowledgments.TABLE_PITR_OFF
            )

    @property
    def list_index_arn(self) -> str:
        """The ARN of the ``latest-items`` index."""
        return f"{self.table.table_arn}/index/{self.LIST_INDEX_NAME}"

    @property
    def attribute_index_names(self) -> tuple[str, ...]:
        """The attribute indexes added with :meth:`add_attribute_index`, in order."""
        return tuple(self._attribute_indexes)

    @property
    def index_arns(self) -> list[str]:
        """The ARNs of the listing index and of every attribute index, in that order."""
        names = [self.LIST_INDEX_NAME, *self._attribute_indexes]
        return [f"{self.table.table_arn}/index/{name}" for name in names]

    @property
    def staged_indexes(self) -> tuple[dict[str, Any], ...]:
        """The attribute indexes added with ``staged=True``, as the index job creates
        them: ``IndexName``, ``KeySchema``, ``Projection`` and ``AttributeDefinitions``."""
        return tuple(self._staged_indexes)

    def add_attribute_index(
        self,
        index_name: str,
        key_attribute: str,
        key_type: str,
        *,
        staged: bool = False,
        sort_key_attribute: str | None = None,
    ) -> None:
        """Add a sparse index of the heads that carry ``key_attribute``, sorted by ``id``
        (or by ``sort_key_attribute``).

        Only head records carry the key, and only while the item is live and its data has
        the attribute, so a query of the index reads the latest live items with one value,
        one page at a time. Call it before :meth:`grant_item_access`, which grants Query
        on the indexes that exist then.

        :param index_name: the index, such as ``by-status``.
        :param key_attribute: the head's attribute holding the value, such as ``ix_status``.
        :param key_type: ``"S"`` for strings or ``"N"`` for numbers.
        :param staged: leave the index out of the table's template and list it in
            :attr:`staged_indexes` instead, for an ``IndexBackfill`` to create after the
            deploy, one index per ``UpdateTable`` (``ServerlessCrudService`` stages every
            attribute index). DynamoDB creates or deletes one index per update, so a
            template change of two fails and rolls back; staged ones never do.
        :param sort_key_attribute: a string attribute of the head to sort by instead of
            ``id`` (a sorted index's ``sx_<attribute>``: the sort value, then the id).
        """
        types = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}
        if key_type not in types:
            raise ValueError(f"key_type must be 'S' or 'N'; got {key_type!r}.")
        sort = sort_key_attribute or self.PARTITION_KEY
        if staged:
            self._staged_indexes.append(
                {
                    "IndexName": index_name,
                    "KeySchema": [
                        {"AttributeName": key_attribute, "KeyType": "HASH"},
                        {"AttributeName": sort, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                    "AttributeDefinitions": [
                        {"AttributeName": key_attribute, "AttributeType": key_type},
                        {"AttributeName": sort, "AttributeType": "S"},
                    ],
                }
            )
        else:
            self.table.add_global_secondary_index(
                index_name=index_name,
                partition_key=dynamodb.Attribute(name=key_attribute, type=types[key_type]),
                sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        self._attribute_indexes.append(index_name)

    def grant_stream_read_records(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read this table's stream, and no other: ``DescribeStream``,
        ``GetShardIterator``, ``GetRecords`` and ``ListStreams`` on the stream's ARN (and
        ``kms:Decrypt`` on a customer-managed key). aws-cdk-lib's ``grant_stream_read``
        also grants ``ListStreams`` on every resource.
        """
        stream_arn = self.table.table_stream_arn
        if stream_arn is None:
            raise ValueError(
                "the table has no stream; set TimeSeriesTableProps(stream=...) to read one."
            )
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            resource_arns=[stream_arn],
        )
        key = self.table.encryption_key
        return grant if key is None else grant.combine(key.grant_decrypt(grantee))

    def _with_key(self, grant: iam.Grant, grantee: iam.IGrantable) -> iam.Grant:
        """``grant``, and with a customer-managed key, what reading and writing items
        needs of it."""
        key = self.table.encryption_key
        if key is None:
            return grant
        return grant.combine(
            key.grant(
                grantee, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"
            )
        )

    def grant_index_backfill(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` backfill the attribute indexes (``IndexBackfill``), and nothing
        more.

        Grants ``dynamodb:Scan`` on the ``latest-items`` index (the live heads),
        ``dynamodb:UpdateItem`` on the table (the keys it writes onto a head), and
        ``dynamodb:GetItem`` and ``dynamodb:PutItem`` on the table (its ``index/...``
        records). With a customer-managed key, ``kms:Decrypt``, ``kms:Encrypt``,
        ``kms:GenerateDataKey`` and ``kms:DescribeKey`` on that key.
        """
        scan = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:Scan"],
            resource_arns=[f"{self.table.table_arn}/index/{self.LIST_INDEX_NAME}"],
        )
        write = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            resource_arns=[self.table.table_arn],
        )
        grant = scan.combine(write)
        return self._with_key(grant, grantee)

    def grant_index_changes(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` create and delete the staged indexes (``IndexBackfill``):
        ``dynamodb:DescribeTable`` and ``dynamodb:UpdateTable`` on this table only.

        IAM has no narrower action for an index change: ``UpdateTable`` could also
        change the table's billing, stream or deletion protection, which the index job's
        code never asks for.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:DescribeTable", "dynamodb:UpdateTable"],
            resource_arns=[self.table.table_arn],
        )

    def grant_item_access(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` do exactly what the item service does, and nothing more.

        Grants ``dynamodb:GetItem``, ``dynamodb:PutItem`` and ``dynamodb:Query`` on the
        table, and ``dynamodb:Query`` on the ``latest-items`` index and on each attribute
        index. Transactions need no action of their own: DynamoDB authorizes each write in
        them as a ``PutItem``. With a customer-managed key, also ``kms:Decrypt``,
        ``kms:Encrypt``, ``kms:GenerateDataKey`` and ``kms:DescribeKey`` on that key.
        """
        table_grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            resource_arns=[self.table.table_arn],
        )
        index_grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=["dynamodb:Query"], resource_arns=self.index_arns
        )
        grant = table_grant.combine(index_grant)
        return self._with_key(grant, grantee)

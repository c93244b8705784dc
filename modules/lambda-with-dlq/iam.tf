# The execution role (unless var.role_arn brings one) and its two inline policies:
# - <name>-permissions: everything whose ARN is known at plan time (built from account, region and names),
#   so the JSON is reviewable in the plan: logs, X-Ray, what each event source and failure destination
#   needs, VPC network interfaces, the caller's statements;
# - <name>-kms: KMS use, granted on key ARNs that usually exist only after apply.
locals {
  # Statement ids are alphanumeric: an event source key "price-ticks" becomes "PriceTicks".
  sid_of = { for key in keys(local.sources) : key => replace(title(replace(key, "-", " ")), " ", "") }

  source_statements = flatten([
    for key, s in local.sources : concat(
      s.type != "dynamodb" ? [] : [{
        sid       = s.sids == null ? "${local.sid_of[key]}ReadDynamodbStream" : s.sids.read
        actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        resources = [local.iam_source_arns[key]]
      }],
      # dynamodb:ListStreams accepts only Resource "*" (Service Authorization Reference: no resource
      # type): granted on a stream ARN it allows nothing. It is the only action of its statement.
      s.type != "dynamodb" ? [] : [{
        sid       = s.sids == null ? "${local.sid_of[key]}ListDynamodbStreams" : s.sids.list
        actions   = ["dynamodb:ListStreams"]
        resources = ["*"]
      }],
      # The actions Lambda's Kinesis poller calls on the stream. kinesis:ListStreams (in the
      # AWSLambdaKinesisExecutionRole managed policy) is left out: it lists every stream name of the
      # account, takes no resource (only "*"), and the mapping names its stream.
      s.type != "kinesis" ? [] : [{
        sid       = "${local.sid_of[key]}ReadKinesisStream"
        actions   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"]
        resources = [local.kinesis_stream_arns[key]]
      }],
      # Enhanced fan-out: records are pushed through SubscribeToShard, authorised on the consumer ARN.
      !contains(keys(local.kinesis_consumer_arns), key) ? [] : [{
        sid       = "${local.sid_of[key]}SubscribeToShard"
        actions   = ["kinesis:SubscribeToShard"]
        resources = [local.kinesis_consumer_arns[key]]
      }],
      s.type != "sqs" ? [] : [{
        sid       = "${local.sid_of[key]}ConsumeQueue"
        actions   = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
        resources = [local.iam_source_arns[key]]
      }],
      !contains(local.stream_types, s.type) ? [] : [{
        sid       = s.sids == null ? "${local.sid_of[key]}SendToOnFailureQueue" : s.sids.on_failure
        actions   = ["sqs:SendMessage"]
        resources = ["${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${s.on_failure_queue_name}"]
      }],
    )
  ])

  # The one action each destination service needs to receive an asynchronous invocation's record.
  destination_actions = { sqs = "sqs:SendMessage", sns = "sns:Publish", lambda = "lambda:InvokeFunction", events = "events:PutEvents" }
  async_statements = concat(
    !local.has_async_dlq ? [] : [{
      sid       = "SendToDeadLetterQueue"
      actions   = ["sqs:SendMessage"]
      resources = [local.async_dlq_arn]
    }],
    [for kind, arn in local.async_destinations : {
      sid       = "SendTo${kind}Destination"
      actions   = [local.destination_actions[split(":", arn)[2]]]
      resources = [arn]
    }],
  )

  # AWSLambdaVPCAccessExecutionRole's actions, scoped as EC2 allows: CreateNetworkInterface names the
  # subnets and security groups; the ENIs' ids are not known in advance (network-interface/*); the two
  # Describe actions support no resource-level permissions ("*" only).
  ec2_prefix = "${local.arn_prefix}:ec2:${var.region}:${var.account_id}"
  vpc_statements = var.vpc_config == null ? [] : [
    {
      sid     = "CreateVpcNetworkInterfaces"
      actions = ["ec2:CreateNetworkInterface"]
      resources = concat(
        ["${local.ec2_prefix}:network-interface/*"],
        [for id in var.vpc_config.subnet_ids : "${local.ec2_prefix}:subnet/${id}"],
        [for id in var.vpc_config.security_group_ids : "${local.ec2_prefix}:security-group/${id}"],
      )
    },
    {
      sid       = "ManageVpcNetworkInterfaces"
      actions   = ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
      resources = ["${local.ec2_prefix}:network-interface/*"]
    },
    {
      sid       = "DescribeVpcNetworkInterfaces"
      actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
      resources = ["*"]
    },
  ]

  generated_statements = concat(local.source_statements, local.async_statements, local.vpc_statements)

  # Sending to a CMK-encrypted queue of the module needs a data key; reading the encrypted stream needs
  # kms:Decrypt.
  kms_actions = !local.has_kms ? [] : sort(distinct(concat(
    tolist(var.kms.actions),
    ["kms:Decrypt"],
    length(local.stream_sources) > 0 || local.has_async_dlq ? ["kms:GenerateDataKey"] : [],
  )))
  source_kms_keys = sort(distinct([for s in values(local.sources) : s.kms_key_arn if s.kms_key_arn != null]))
  kms_statements = concat(
    !local.has_kms ? [] : [{
      Sid      = "UseKmsKey"
      Effect   = "Allow"
      Action   = local.kms_actions
      Resource = local.kms_key_arn
    }],
    length(local.source_kms_keys) == 0 ? [] : [{
      Sid      = "DecryptEventSources"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = local.source_kms_keys
    }],
  )
  # A conditional, not ||: known at plan time whenever var.kms is set, even if a source's key is not.
  has_kms_policy = local.has_kms ? true : length(local.source_kms_keys) > 0
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  dynamic "statement" {
    # X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions: "*" is the only
    # resource AWS accepts for them (same as the AWSXRayDaemonWriteAccess managed policy).
    for_each = var.tracing_mode == "Active" ? [1] : []
    content {
      sid       = "WriteTraces"
      effect    = "Allow"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.generated_statements
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  dynamic "statement" {
    for_each = var.policy_statements
    content {
      sid       = statement.key
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role" "this" {
  count                = local.create_role ? 1 : 0
  name                 = "${var.function_name}-role"
  description          = "Execution role of ${var.function_name}"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  count  = local.create_role ? 1 : 0
  name   = "${var.function_name}-permissions"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.permissions.json
}

# KMS use is granted on the key's ARN, in a policy of its own: the ARN is known only after the key
# exists, and the other permissions stay reviewable at plan time. An alias condition
# (kms:ResourceAliases) would hand the grant to whoever can point the alias at another key, and
# takes up to five minutes to apply.
resource "aws_iam_role_policy" "kms" {
  count = local.create_role && local.has_kms_policy ? 1 : 0
  name  = "${var.function_name}-kms"
  role  = aws_iam_role.this[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.kms_statements
  })
}

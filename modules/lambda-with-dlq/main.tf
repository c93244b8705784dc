locals {
  arn_prefix         = "arn:${var.partition}"
  log_group_name     = "/aws/lambda/${var.function_name}"
  log_group_arn      = "${local.arn_prefix}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}"
  has_stream         = var.stream_source != null
  has_url            = var.function_url != null
  has_async_dlq      = try(var.async_invocation.dead_letter_queue, false)
  on_failure_name    = "${var.function_name}-on-failure"
  on_failure_arn     = "${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${local.on_failure_name}"
  async_dlq_name     = "${var.function_name}-async-dlq"
  async_dlq_arn      = "${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${local.async_dlq_name}"
  stream_arn_for_iam = local.has_stream ? coalesce(var.stream_source.stream_arn_pattern, var.stream_source.event_source_arn) : null

  # Sending to an encrypted queue needs a data key; reading the encrypted stream needs kms:Decrypt.
  kms_actions = sort(distinct(concat(
    tolist(var.kms_key_actions),
    ["kms:Decrypt"],
    local.has_stream || local.has_async_dlq ? ["kms:GenerateDataKey"] : [],
  )))
}

# ---------------------------------------------------------------- role

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
    for_each = local.has_stream ? [1] : []
    content {
      sid       = "ReadTableStream"
      effect    = "Allow"
      actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
      resources = [local.stream_arn_for_iam]
    }
  }

  dynamic "statement" {
    for_each = local.has_stream ? [1] : []
    content {
      sid       = "SendToOnFailureQueue"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [local.on_failure_arn]
    }
  }

  dynamic "statement" {
    for_each = local.has_async_dlq ? [1] : []
    content {
      sid       = "SendToDeadLetterQueue"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [local.async_dlq_arn]
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
  name               = "${var.function_name}-role"
  description        = "Execution role of ${var.function_name}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-permissions"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

# KMS use is granted on the key's ARN, in a policy of its own: the ARN is known only after the key
# exists, and the other permissions stay reviewable at plan time. An alias condition
# (kms:ResourceAliases) would hand the grant to whoever can point the alias at another key, and
# takes up to five minutes to apply.
resource "aws_iam_role_policy" "kms" {
  name = "${var.function_name}-kms"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "UseKmsKey"
      Effect   = "Allow"
      Action   = local.kms_actions
      Resource = var.kms_key_arn
    }]
  })
}

# ---------------------------------------------------------------- logs

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment from config (dev keeps days, prod a year); a 1-year floor for throw-away envs only costs money.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# ---------------------------------------------------------------- queues

resource "aws_sqs_queue" "on_failure" {
  count                             = local.has_stream ? 1 : 0
  name                              = local.on_failure_name
  message_retention_seconds         = var.queue_message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

resource "aws_sqs_queue" "async_dlq" {
  count                             = local.has_async_dlq ? 1 : 0
  name                              = local.async_dlq_name
  message_retention_seconds         = var.queue_message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

# ---------------------------------------------------------------- function

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:A DLQ covers asynchronous invocations only; it is attached exactly when var.async_invocation asks for one. Stream- and URL-invoked functions use the mapping's on-failure queue or answer the caller.
  #checkov:skip=CKV_AWS_117:The functions call only AWS public endpoints (DynamoDB, SNS, Secrets Manager); a VPC would add NAT/endpoints cost and cold-start latency for no isolation gain.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile per account; zips are built reproducibly by scripts/package.py and deployed from CI only.
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  filename                       = var.filename
  source_code_hash               = filebase64sha256(var.filename)
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [1] : []
    content {
      variables = var.environment_variables
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "dead_letter_config" {
    for_each = local.has_async_dlq ? [1] : []
    content {
      target_arn = aws_sqs_queue.async_dlq[0].arn
    }
  }

  tags = var.tags

  # The log group and the permissions exist before the first invocation can happen.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this, aws_iam_role_policy.kms]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  count                        = var.async_invocation == null ? 0 : 1
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_invocation.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_invocation.maximum_event_age_in_seconds
}

# ---------------------------------------------------------------- function URL

resource "aws_lambda_function_url" "this" {
  #checkov:skip=CKV_AWS_258:Auth NONE only when the caller asks for it (the webhook: feeds cannot sign SigV4); the handler verifies an HMAC-SHA256 signature and a timestamp window.
  count              = local.has_url ? 1 : 0
  function_name      = aws_lambda_function.this.function_name
  authorization_type = var.function_url.authorization_type
  invoke_mode        = var.function_url.invoke_mode
}

# With authorization_type NONE the aws_lambda_function_url resource itself adds the statement
# FunctionURLAllowPublicAccess (lambda:InvokeFunctionUrl, condition lambda:FunctionUrlAuthType = NONE)
# when it creates the URL, so the module adds no second copy of it.
#
# Function URLs created since October 2025 also need lambda:InvokeFunction. AWS can limit that grant to
# URL calls (condition lambda:InvokedViaFunctionUrl), but hashicorp/aws 5.x cannot express it: the
# argument invoked_via_function_url arrived in provider 6.29.0, and from 6.x the URL resource adds the
# scoped statement itself. Under ~> 5.100 the grant is unconditional. Blast radius: anyone can call
# Invoke on the function directly, bypassing the URL. The handler still authenticates every event (a
# direct invoke without a valid HMAC signature is rejected), so the exposure is cost and concurrency:
# each call runs the function once. reserved_concurrency caps that; unreserved, such calls draw on the
# account's shared pool and can throttle the account's other functions.
resource "aws_lambda_permission" "url_public_invoke" {
  #checkov:skip=CKV_AWS_301:Required since October 2025 for Function URLs with auth NONE; provider 5.x cannot add the lambda:InvokedViaFunctionUrl condition (6.29.0 can). Direct invokes still need a valid HMAC signature; reserved_concurrency bounds the cost.
  count         = try(var.function_url.authorization_type == "NONE" && var.function_url.grant_invoke_function, false) ? 1 : 0
  statement_id  = "FunctionUrlAllowInvokeFunction"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "*"
}

# ---------------------------------------------------------------- stream

resource "aws_lambda_event_source_mapping" "stream" {
  count                              = local.has_stream ? 1 : 0
  function_name                      = aws_lambda_function.this.arn
  event_source_arn                   = var.stream_source.event_source_arn
  enabled                            = var.stream_source.enabled
  starting_position                  = var.stream_source.starting_position
  batch_size                         = var.stream_source.batch_size
  maximum_batching_window_in_seconds = var.stream_source.maximum_batching_window_in_seconds
  parallelization_factor             = var.stream_source.parallelization_factor
  bisect_batch_on_function_error     = var.stream_source.bisect_batch_on_function_error
  maximum_retry_attempts             = var.stream_source.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.stream_source.maximum_record_age_in_seconds
  function_response_types            = var.stream_source.report_batch_item_failures ? ["ReportBatchItemFailures"] : []

  dynamic "filter_criteria" {
    for_each = length(var.stream_source.filter_patterns) > 0 ? [1] : []
    content {
      dynamic "filter" {
        for_each = var.stream_source.filter_patterns
        content {
          pattern = filter.value
        }
      }
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.on_failure[0].arn
    }
  }

  tags = var.tags

  # The role must be able to read the stream and write the queue before the mapping validates them.
  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy.kms]
}

locals {
  arn_prefix     = "arn:${var.partition}"
  own_log_group  = var.existing_log_group_name == null
  log_group_name = local.own_log_group ? "/aws/lambda/${var.function_name}" : var.existing_log_group_name
  log_group_arn  = "${local.arn_prefix}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}"
  has_url        = var.function_url != null
  has_kms        = var.kms != null
  kms_key_arn    = local.has_kms ? var.kms.key_arn : null
  create_role    = var.role_arn == null
  role_arn       = local.create_role ? aws_iam_role.this[0].arn : var.role_arn
  is_image       = var.image != null

  # The alias, and whether triggers (mappings, URL, async settings, allowed_triggers) go through it.
  has_alias   = var.alias != null
  via_alias   = local.has_alias && try(var.alias.invoke_through, false)
  qualifier   = local.via_alias ? aws_lambda_alias.this[0].name : null
  target_arn  = local.via_alias ? aws_lambda_alias.this[0].arn : aws_lambda_function.this.arn
  text_format = { log_format = "Text", application_log_level = null, system_log_level = null }

  # Asynchronous failures: the module's dead-letter queue, or the caller's destinations.
  has_async_dlq  = try(var.async_invocation.dead_letter_queue, false)
  async_dlq_name = "${var.function_name}-async-dlq"
  async_dlq_arn  = "${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${local.async_dlq_name}"
  async_destinations = var.async_invocation == null ? {} : {
    for kind, arn in {
      OnFailure = var.async_invocation.on_failure_destination_arn
      OnSuccess = var.async_invocation.on_success_destination_arn
    } : kind => arn if arn != null
  }
}

# ---------------------------------------------------------------- logs

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment from config (dev keeps days, prod a year); a 1-year floor for throw-away envs only costs money.
  #checkov:skip=CKV_AWS_158:var.kms is optional for reuse by other teams: null means CloudWatch Logs' own encryption, a CMK is used whenever the caller gives one.
  count             = local.own_log_group ? 1 : 0
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  log_group_class   = var.log_group_class
  kms_key_id        = local.kms_key_arn
  tags              = var.tags
}

# ---------------------------------------------------------------- function

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:A DLQ covers asynchronous invocations only; it is attached exactly when var.async_invocation asks for one. Stream- and URL-invoked functions use the mapping's on-failure queue or answer the caller.
  #checkov:skip=CKV_AWS_117:VPC attachment is the caller's choice (var.vpc_config): the pipeline's functions call only AWS public endpoints, where a VPC adds NAT/endpoint cost and cold-start latency for no isolation gain.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile per account; zips are built reproducibly by scripts/package.py and deployed from CI only.
  #checkov:skip=CKV_AWS_173:var.kms is optional for reuse by other teams: null means Lambda's AWS managed key encrypts the environment, a CMK is used whenever the caller gives one.
  function_name                  = var.function_name
  description                    = var.description
  role                           = local.role_arn
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = local.kms_key_arn
  layers                         = var.layers
  publish                        = var.publish

  # Code: a local zip, an S3 object or a container image (exactly one: var.filename's validation).
  package_type      = local.is_image ? "Image" : "Zip"
  handler           = local.is_image ? null : var.handler
  runtime           = local.is_image ? null : var.runtime
  filename          = var.filename
  source_code_hash  = var.filename == null ? null : filebase64sha256(var.filename)
  s3_bucket         = try(var.s3_code.bucket, null)
  s3_key            = try(var.s3_code.key, null)
  s3_object_version = try(var.s3_code.object_version, null)
  image_uri         = try(var.image.uri, null)

  dynamic "image_config" {
    for_each = local.is_image && try(var.image.command != null || var.image.entry_point != null || var.image.working_directory != null, false) ? [var.image] : []
    content {
      command           = image_config.value.command
      entry_point       = image_config.value.entry_point
      working_directory = image_config.value.working_directory
    }
  }

  dynamic "snap_start" {
    for_each = var.snap_start ? [1] : []
    content {
      apply_on = "PublishedVersions"
    }
  }

  ephemeral_storage {
    size = var.ephemeral_storage_size
  }

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [1] : []
    content {
      variables = var.environment_variables
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids                  = vpc_config.value.subnet_ids
      security_group_ids          = vpc_config.value.security_group_ids
      ipv6_allowed_for_dual_stack = vpc_config.value.ipv6_allowed_for_dual_stack
    }
  }

  # Lambda's default (Text, to /aws/lambda/<name>) needs no block; a group of the caller's does.
  dynamic "logging_config" {
    for_each = var.logging_config != null ? [var.logging_config] : local.own_log_group ? [] : [local.text_format]
    content {
      log_format            = logging_config.value.log_format
      log_group             = local.log_group_name
      application_log_level = logging_config.value.application_log_level
      system_log_level      = logging_config.value.system_log_level
    }
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

# Retries, event age and destinations of asynchronous invocations.
resource "aws_lambda_function_event_invoke_config" "this" {
  count                        = var.async_invocation == null ? 0 : 1
  function_name                = aws_lambda_function.this.function_name
  qualifier                    = local.qualifier
  maximum_retry_attempts       = var.async_invocation.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_invocation.maximum_event_age_in_seconds

  dynamic "destination_config" {
    for_each = length(local.async_destinations) > 0 ? [1] : []
    content {
      dynamic "on_failure" {
        for_each = contains(keys(local.async_destinations), "OnFailure") ? [local.async_destinations.OnFailure] : []
        content {
          destination = on_failure.value
        }
      }
      dynamic "on_success" {
        for_each = contains(keys(local.async_destinations), "OnSuccess") ? [local.async_destinations.OnSuccess] : []
        content {
          destination = on_success.value
        }
      }
    }
  }

  # Lambda checks the role may send to the destinations when the configuration is saved.
  depends_on = [aws_iam_role_policy.this]
}

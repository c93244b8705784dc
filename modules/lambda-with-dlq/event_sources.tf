# Event source mappings: var.event_sources, plus var.stream_source under the key "stream".
#
# Where each source's failures go:
# - dynamodb, kinesis: batches that exhaust their retries or grow too old go, as metadata (shard,
#   sequence numbers), to an on-failure SQS queue of their own (queues.tf, destination_config);
# - sqs: nothing here. A failed message goes back to its queue and, after the queue's maxReceiveCount,
#   to the queue's own dead-letter queue (redrive policy): that is the caller's queue configuration.
locals {
  stream_types = ["dynamodb", "kinesis"]

  legacy_sources = var.stream_source == null ? {} : {
    stream = {
      type                               = "dynamodb"
      arn                                = var.stream_source.event_source_arn
      arn_pattern                        = var.stream_source.stream_arn_pattern
      kms_key_arn                        = null
      enabled                            = var.stream_source.enabled
      filters                            = var.stream_source.filter_patterns
      batch_size                         = var.stream_source.batch_size
      maximum_batching_window_in_seconds = var.stream_source.maximum_batching_window_in_seconds
      function_response_types            = var.stream_source.report_batch_item_failures ? ["ReportBatchItemFailures"] : []
      metrics                            = []
      starting_position                  = var.stream_source.starting_position
      starting_position_timestamp        = null
      parallelization_factor             = var.stream_source.parallelization_factor
      maximum_retry_attempts             = var.stream_source.maximum_retry_attempts
      maximum_record_age_in_seconds      = var.stream_source.maximum_record_age_in_seconds
      bisect_batch_on_function_error     = var.stream_source.bisect_batch_on_function_error
      tumbling_window_in_seconds         = null
      on_failure_queue_name              = "${var.function_name}-on-failure"
      queue_visibility_timeout_seconds   = null
      maximum_concurrency                = null
      # The statement ids of release 0.x (ListTableStreams: ListStreams moved to "*", where it works).
      sids = { read = "ReadTableStream", list = "ListTableStreams", on_failure = "SendToOnFailureQueue" }
    }
  }

  # Every source with its type's defaults filled in; stream-only settings are null for sqs.
  sources = merge(local.legacy_sources, {
    for key, s in var.event_sources : key => {
      type                               = s.type
      arn                                = s.arn
      arn_pattern                        = s.arn_pattern
      kms_key_arn                        = s.kms_key_arn
      enabled                            = s.enabled
      filters                            = s.filters
      batch_size                         = coalesce(s.batch_size, s.type == "sqs" ? 10 : 100)
      maximum_batching_window_in_seconds = coalesce(s.maximum_batching_window_in_seconds, s.type == "sqs" ? 0 : 1)
      function_response_types            = s.function_response_types
      metrics                            = s.metrics
      starting_position                  = s.type == "sqs" ? null : coalesce(s.starting_position, "TRIM_HORIZON")
      starting_position_timestamp        = s.starting_position_timestamp
      parallelization_factor             = s.type == "sqs" ? null : coalesce(s.parallelization_factor, 1)
      maximum_retry_attempts             = s.type == "sqs" ? null : coalesce(s.maximum_retry_attempts, 5)
      maximum_record_age_in_seconds      = s.type == "sqs" ? null : coalesce(s.maximum_record_age_in_seconds, 3600)
      bisect_batch_on_function_error     = s.type == "sqs" ? null : coalesce(s.bisect_batch_on_function_error, true)
      tumbling_window_in_seconds         = s.tumbling_window_in_seconds
      on_failure_queue_name              = s.type == "sqs" ? null : coalesce(s.on_failure_queue_name, "${var.function_name}-${key}-on-failure")
      queue_visibility_timeout_seconds   = s.queue_visibility_timeout_seconds
      maximum_concurrency                = try(s.scaling_config.maximum_concurrency, null)
      sids                               = null
    }
  })

  stream_sources = { for key, s in local.sources : key => s if contains(local.stream_types, s.type) }

  # The ARN the role's statements name: the caller's plan-time pattern, else the source ARN. A Kinesis
  # enhanced fan-out consumer (<stream arn>/consumer/<name>:<timestamp>) is read through its stream.
  iam_source_arns = { for key, s in local.sources : key => coalesce(s.arn_pattern, s.arn) }
  kinesis_stream_arns = {
    for key, s in local.sources : key => split("/consumer/", local.iam_source_arns[key])[0] if s.type == "kinesis"
  }
  kinesis_consumer_arns = {
    for key, s in local.sources : key => local.iam_source_arns[key] if s.type == "kinesis" && strcontains(local.iam_source_arns[key], "/consumer/")
  }
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = local.sources

  function_name                      = local.target_arn
  event_source_arn                   = each.value.arn
  enabled                            = each.value.enabled
  batch_size                         = each.value.batch_size
  maximum_batching_window_in_seconds = each.value.maximum_batching_window_in_seconds
  function_response_types            = each.value.function_response_types

  # Stream settings (null, i.e. absent, for sqs: the API refuses them there).
  starting_position              = each.value.starting_position
  starting_position_timestamp    = each.value.starting_position_timestamp
  parallelization_factor         = each.value.parallelization_factor
  bisect_batch_on_function_error = each.value.bisect_batch_on_function_error
  maximum_retry_attempts         = each.value.maximum_retry_attempts
  maximum_record_age_in_seconds  = each.value.maximum_record_age_in_seconds
  tumbling_window_in_seconds     = each.value.tumbling_window_in_seconds

  dynamic "filter_criteria" {
    for_each = length(each.value.filters) > 0 ? [1] : []
    content {
      dynamic "filter" {
        for_each = each.value.filters
        content {
          pattern = filter.value
        }
      }
    }
  }

  dynamic "destination_config" {
    for_each = contains(local.stream_types, each.value.type) ? [1] : []
    content {
      on_failure {
        destination_arn = aws_sqs_queue.on_failure[each.key].arn
      }
    }
  }

  dynamic "metrics_config" {
    for_each = length(each.value.metrics) > 0 ? [each.value.metrics] : []
    content {
      metrics = metrics_config.value
    }
  }

  dynamic "scaling_config" {
    for_each = each.value.maximum_concurrency == null ? [] : [each.value.maximum_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }

  tags = var.tags

  # The role must be able to read the source and write the queue before the mapping validates them.
  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy.kms]
}

# One alarm per entry of local.alarms: every failure of the function that AWS reports as a metric.
# - errors: failed invocations (a stream batch the handler could not process at all);
# - throttles: invocations refused for lack of concurrency (reserved or account pool);
# - url_5xx: 5xx answers of the Function URL; the handler answers them itself (503 on AWS failures,
#   500 on misconfiguration), so they are not invocation Errors;
# - iterator_age: a stream mapping (dynamodb, kinesis) lags behind its stream;
# - <source>_on_failure_depth / _age: per stream source, batches given up on, waiting for a redrive (the
#   age alarm keeps ringing while nobody redrives);
# - async_dlq_depth: asynchronous invocations that failed every retry, in the module's dead-letter queue.
# An sqs source's failures end in that queue's own dead-letter queue: alarm on it where it is defined.
# Every alarm's description ends with its section of the runbook (docs/runbook.md: `runbook` is the anchor).
locals {
  alarms = !var.alarms.enabled ? {} : merge(
    {
      errors = {
        name        = "${var.function_name}-errors"
        runbook     = "function-errors"
        description = "${var.function_name} reported errors (failed invocations)."
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = { FunctionName = var.function_name }
        statistic   = "Sum"
        threshold   = var.alarms.errors_threshold
      }
      throttles = {
        name        = "${var.function_name}-throttles"
        runbook     = "function-throttles"
        description = "${var.function_name} was throttled: invocations refused for lack of concurrency."
        namespace   = "AWS/Lambda"
        metric      = "Throttles"
        dimensions  = { FunctionName = var.function_name }
        statistic   = "Sum"
        threshold   = var.alarms.throttles_threshold
      }
    },
    !local.has_url ? {} : {
      url_5xx = {
        name        = "${var.function_name}-url-5xx"
        runbook     = "function-url-5xx"
        description = "The Function URL of ${var.function_name} answered 5xx: senders are told to retry (503) or the function is misconfigured (500)."
        namespace   = "AWS/Lambda"
        metric      = "Url5xxCount"
        dimensions  = { FunctionName = var.function_name }
        statistic   = "Sum"
        threshold   = var.alarms.errors_threshold
      }
    },
    length(local.stream_sources) == 0 ? {} : {
      iterator_age = {
        name        = "${var.function_name}-iterator-age"
        runbook     = "stream-iterator-age"
        description = "${var.function_name} lags behind its stream: oldest record older than ${var.alarms.iterator_age_ms_threshold} ms."
        namespace   = "AWS/Lambda"
        metric      = "IteratorAge"
        dimensions  = { FunctionName = var.function_name }
        statistic   = "Maximum"
        threshold   = var.alarms.iterator_age_ms_threshold
      }
    },
    merge([for key, s in local.stream_sources : {
      "${key}_on_failure_depth" = {
        name        = "${s.on_failure_queue_name}-depth"
        runbook     = "on-failure-queue-depth"
        description = "Stream batches of ${var.function_name} gave up and wait in ${s.on_failure_queue_name} for a redrive."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = s.on_failure_queue_name }
        statistic   = "Maximum"
        threshold   = var.alarms.queue_depth_threshold
      }
      "${key}_on_failure_age" = {
        name        = "${s.on_failure_queue_name}-age"
        runbook     = "on-failure-queue-age"
        description = "The oldest message in ${s.on_failure_queue_name} waits for a redrive for more than ${var.alarms.queue_age_seconds_threshold} s."
        namespace   = "AWS/SQS"
        metric      = "ApproximateAgeOfOldestMessage"
        dimensions  = { QueueName = s.on_failure_queue_name }
        statistic   = "Maximum"
        threshold   = var.alarms.queue_age_seconds_threshold
      }
    }]...),
    !local.has_async_dlq ? {} : {
      async_dlq_depth = {
        name        = "${local.async_dlq_name}-depth"
        runbook     = "async-dead-letter-queue-depth"
        description = "Asynchronous invocations of ${var.function_name} failed after their retries and wait in ${local.async_dlq_name}."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = local.async_dlq_name }
        statistic   = "Maximum"
        threshold   = var.alarms.queue_depth_threshold
      }
    },
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = each.value.name
  alarm_description   = "${each.value.description} Runbook: ${var.alarms.runbook_url}#${each.value.runbook}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarms.actions
  ok_actions          = var.alarms.actions
  tags                = var.tags
}

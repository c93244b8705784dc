# Pipeline-level alarms; each function's own (errors, throttles, URL 5xx, iterator age, on-failure
# queue depth and age) are in modules/lambda-with-dlq/alarms.tf.
#
# - enricher_records_failed: records the enricher reported as failed (batchItemFailures). The mapping
#   retries them, so they are neither Lambda Errors nor on-failure messages until retries run out: the
#   function's own EMF metric is the only place they show.
# - table_write_throttles: DynamoDB refused writes; the webhook answers 503 and senders retry.
# Revision conflicts between parallel invocations are retried inside the invocation and counted in
# RevisionConflicts / ConflictsExhausted (dashboard), not in RecordsFailed: they page nobody.
# Every alarm's description ends with its section of the runbook (docs/runbook.md: `runbook` is the anchor).
locals {
  pipeline_alarms = !var.alarms.enabled ? {} : {
    enricher_records_failed = {
      name        = "${local.enricher_name}-records-failed"
      runbook     = "enricher-records-failed"
      description = "The enricher reported records it could not process (batchItemFailures); the mapping retries them, then sends them to the on-failure queue."
      namespace   = local.metrics_namespace
      metric      = "RecordsFailed"
      dimensions  = { service = local.enricher_service }
      statistic   = "Sum"
      threshold   = var.alarms.errors_threshold
    }
    table_write_throttles = {
      name        = "${local.table_name}-write-throttles"
      runbook     = "table-write-throttles"
      description = "DynamoDB throttled writes to ${local.table_name}: ticks are answered 503 and indicators retried."
      namespace   = "AWS/DynamoDB"
      metric      = "WriteThrottleEvents"
      dimensions  = { TableName = local.table_name }
      statistic   = "Sum"
      threshold   = var.alarms.throttles_threshold
    }
  }

  # A stalled mapping (disabled, broken permissions, stuck shard) invokes nothing, so the enricher emits
  # no IteratorAge and no Errors at all. Ticks stored while the enricher is not invoked, for two periods
  # in a row (one would catch a tick stored at the very end of a period), is the signal.
  stalled_alarms = !var.alarms.enabled ? {} : {
    stream_stalled = {
      name        = "${local.enricher_name}-stream-stalled"
      runbook     = "stream-stalled"
      description = "Ticks were stored but ${local.enricher_name} was not invoked for ${2 * var.alarms.period_seconds} s: the stream mapping is stalled or disabled."
      expression  = "IF(FILL(stored, 0) > 0 AND FILL(invocations, 0) == 0, 1, 0)"
      stored = {
        namespace  = local.metrics_namespace
        metric     = "TicksStored"
        dimensions = { service = local.webhook_service }
      }
      invocations = {
        namespace  = "AWS/Lambda"
        metric     = "Invocations"
        dimensions = { FunctionName = local.enricher_name }
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "pipeline" {
  for_each            = local.pipeline_alarms
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
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "stalled" {
  for_each            = local.stalled_alarms
  alarm_name          = each.value.name
  alarm_description   = "${each.value.description} Runbook: ${var.alarms.runbook_url}#${each.value.runbook}"
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags

  metric_query {
    id          = "stalled"
    expression  = each.value.expression
    label       = "ticks stored, enricher not invoked"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { stored = each.value.stored, invocations = each.value.invocations }
    content {
      id          = metric_query.key
      return_data = false
      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric
        dimensions  = metric_query.value.dimensions
        stat        = "Sum"
        period      = var.alarms.period_seconds
      }
    }
  }
}

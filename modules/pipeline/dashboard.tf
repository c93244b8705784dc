# One CloudWatch dashboard of the pipeline: what comes in, what gets enriched, what fails, which
# revision races were retried, how fast, how far the mapping lags, and what waits in the on-failure queue.
locals {
  on_failure_queue_name = module.enricher.on_failure_queue_name
  dashboard_widgets = [
    {
      title = "Ticks in (webhook)"
      stat  = "Sum"
      metrics = [
        [local.metrics_namespace, "TicksStored", "service", local.webhook_service, { label = "stored" }],
        [local.metrics_namespace, "TicksDuplicate", "service", local.webhook_service, { label = "duplicate" }],
        [local.metrics_namespace, "TicksRejected", "service", local.webhook_service, { label = "rejected (4xx)" }],
        [local.metrics_namespace, "TicksConflict", "service", local.webhook_service, { label = "event_id conflicts (409)" }],
      ]
    },
    {
      title = "Enriched (enricher)"
      stat  = "Sum"
      metrics = [
        [local.metrics_namespace, "TicksEnriched", "service", local.enricher_service, { label = "enriched" }],
        [local.metrics_namespace, "TicksRevised", "service", local.enricher_service, { label = "revised after a late tick" }],
        [local.metrics_namespace, "NotificationsPublished", "service", local.enricher_service, { label = "notifications" }],
      ]
    },
    {
      title = "Failed"
      stat  = "Sum"
      metrics = [
        [local.metrics_namespace, "RecordsFailed", "service", local.enricher_service, { label = "enricher records failed" }],
        ["AWS/Lambda", "Url5xxCount", "FunctionName", local.webhook_name, { label = "webhook 5xx" }],
        ["AWS/Lambda", "Errors", "FunctionName", local.webhook_name, { label = "webhook errors" }],
        ["AWS/Lambda", "Errors", "FunctionName", local.enricher_name, { label = "enricher errors" }],
        ["AWS/Lambda", "Throttles", "FunctionName", local.webhook_name, { label = "webhook throttles" }],
        ["AWS/Lambda", "Throttles", "FunctionName", local.enricher_name, { label = "enricher throttles" }],
        ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", local.table_name, { label = "table write throttles" }],
      ]
    },
    {
      # Two invocations of one shard (parallelization factor > 1) wrote the same tick: retried inside
      # the invocation from a fresh read; exhausted ones are retried by the mapping. No alarm: no trouble.
      title = "Revision conflicts (enricher)"
      stat  = "Sum"
      metrics = [
        [local.metrics_namespace, "RevisionConflicts", "service", local.enricher_service, { label = "conflicts (retried in the invocation)" }],
        [local.metrics_namespace, "ConflictsExhausted", "service", local.enricher_service, { label = "records left to the mapping's retry" }],
      ]
    },
    {
      title = "Latency (p99, ms)"
      stat  = "p99"
      metrics = [
        ["AWS/Lambda", "UrlRequestLatency", "FunctionName", local.webhook_name, { label = "webhook URL request" }],
        ["AWS/Lambda", "Duration", "FunctionName", local.webhook_name, { label = "webhook duration" }],
        ["AWS/Lambda", "Duration", "FunctionName", local.enricher_name, { label = "enricher duration" }],
      ]
    },
    {
      title = "Iterator age (max, ms)"
      stat  = "Maximum"
      metrics = [
        ["AWS/Lambda", "IteratorAge", "FunctionName", local.enricher_name, { label = "enricher iterator age" }],
      ]
    },
    {
      title = "On-failure queue"
      stat  = "Maximum"
      metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.on_failure_queue_name, { label = "messages" }],
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.on_failure_queue_name, { label = "oldest (s)", yAxis = "right" }],
      ]
    },
  ]
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = local.prefix
  dashboard_body = jsonencode({
    widgets = [
      for i, widget in local.dashboard_widgets : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = widget.title
          region  = var.region
          view    = "timeSeries"
          stacked = false
          stat    = widget.stat
          period  = var.alarms.period_seconds
          metrics = widget.metrics
        }
      }
    ]
  })
}

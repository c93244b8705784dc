# The queues the module owns: one on-failure queue per stream source (dynamodb, kinesis), and the
# dead-letter queue of asynchronous invocations. Encrypted with the kms key, or SSE-SQS without one.

resource "aws_sqs_queue" "on_failure" {
  for_each = local.stream_sources

  name                              = each.value.on_failure_queue_name
  message_retention_seconds         = var.queue_message_retention_seconds
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = local.has_kms ? 300 : null
  sqs_managed_sse_enabled           = local.has_kms ? null : true
  tags                              = var.tags
}

resource "aws_sqs_queue" "async_dlq" {
  count                             = local.has_async_dlq ? 1 : 0
  name                              = local.async_dlq_name
  message_retention_seconds         = var.queue_message_retention_seconds
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = local.has_kms ? 300 : null
  sqs_managed_sse_enabled           = local.has_kms ? null : true
  tags                              = var.tags
}

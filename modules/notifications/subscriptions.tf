resource "aws_sns_topic_subscription" "this" {
  for_each = var.subscriptions

  topic_arn            = aws_sns_topic.this.arn
  protocol             = each.value.protocol
  endpoint             = each.value.endpoint
  raw_message_delivery = each.value.raw_message_delivery
  filter_policy        = each.value.filter_policy
  # A scope without a policy is refused by SNS.
  filter_policy_scope = each.value.filter_policy == null ? null : each.value.filter_policy_scope
  # An https endpoint must confirm the subscription itself; SNS retries the confirmation for this long.
  confirmation_timeout_in_minutes = each.value.protocol == "https" ? 5 : null
  endpoint_auto_confirms          = each.value.protocol == "https" ? each.value.endpoint_auto_confirms : null
}

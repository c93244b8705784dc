# State addresses of release 0.x, moved to this release's: upgrading keeps the role, its policies, the
# stream mapping, its on-failure queue and alarms (update in place at most, never destroy and create).

moved {
  from = aws_iam_role.this
  to   = aws_iam_role.this[0]
}

moved {
  from = aws_iam_role_policy.this
  to   = aws_iam_role_policy.this[0]
}

moved {
  from = aws_iam_role_policy.kms
  to   = aws_iam_role_policy.kms[0]
}

moved {
  from = aws_lambda_event_source_mapping.stream[0]
  to   = aws_lambda_event_source_mapping.this["stream"]
}

moved {
  from = aws_sqs_queue.on_failure[0]
  to   = aws_sqs_queue.on_failure["stream"]
}

moved {
  from = aws_cloudwatch_metric_alarm.this["on_failure_depth"]
  to   = aws_cloudwatch_metric_alarm.this["stream_on_failure_depth"]
}

moved {
  from = aws_cloudwatch_metric_alarm.this["on_failure_age"]
  to   = aws_cloudwatch_metric_alarm.this["stream_on_failure_age"]
}

# The log group became optional (existing_log_group_name): the existing one keeps its logs.
moved {
  from = aws_cloudwatch_log_group.this
  to   = aws_cloudwatch_log_group.this[0]
}

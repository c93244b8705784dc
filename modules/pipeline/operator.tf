# The operator's policy: what `make redrive ARGS=--aws`, `make smoke` and `make secret-rotate` /
# `make secret-revoke` call (docs/operations.md), on this environment's ARNs only. Attach it to the
# operator's role; the IAM-by-execution check (scripts/local/iam_check.py) runs the tools against it.
locals {
  enricher_arn         = "${local.arn_prefix}:lambda:${var.region}:${var.account_id}:function:${local.enricher_name}"
  on_failure_queue_arn = "${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${module.enricher.on_failure_queue_name}"
  smoke_queue_arn_glob = "${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${local.prefix}-smoke-*"
}

data "aws_iam_policy_document" "operator" {
  # scripts/redrive: receive the on-failure messages, keep them invisible while working, delete when redriven.
  statement {
    sid       = "RedriveOnFailureQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"]
    resources = [local.on_failure_queue_arn]
  }

  # scripts/redrive: the failed batch's records, by shard and sequence number.
  statement {
    sid       = "RedriveReadStream"
    actions   = ["dynamodb:GetShardIterator", "dynamodb:GetRecords"]
    resources = ["${local.table_arn}/stream/*"]
  }

  # scripts/redrive: the current item (GetItem) and the table fallback (Scan); pipeline-smoke: the enriched row.
  statement {
    sid       = "ReadTicks"
    actions   = ["dynamodb:GetItem", "dynamodb:Scan"]
    resources = [local.table_arn]
  }

  # scripts/redrive: replay into the enricher, synchronously.
  statement {
    sid       = "RedriveInvokeEnricher"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.enricher_arn]
  }

  # pipeline-smoke reads the signing secret; pipeline-secret rotates (Describe, Put) and revokes (UpdateSecretVersionStage).
  statement {
    sid = "SigningSecret"
    actions = [
      "secretsmanager:GetSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage",
    ]
    resources = [local.secret_arn]
  }

  # pipeline-smoke: its temporary queue on the topic, removed at the end of every run.
  statement {
    sid       = "SmokeSubscription"
    actions   = ["sns:Subscribe", "sns:Unsubscribe"]
    resources = [local.topic_arn]
  }

  statement {
    sid       = "SmokeQueue"
    actions   = ["sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:ReceiveMessage", "sqs:DeleteQueue"]
    resources = [local.smoke_queue_arn_glob]
  }

  # The pipeline's key: Decrypt to read the encrypted on-failure queue and the secret; GenerateDataKey
  # for PutSecretValue (Secrets Manager encrypts the new version with it on the caller's behalf).
  statement {
    sid       = "UsePipelineKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.kms.key_arn]
  }
}

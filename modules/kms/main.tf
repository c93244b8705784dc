locals {
  root_arn = "arn:${var.partition}:iam::${var.account_id}:root"
  # Services that only need to encrypt and decrypt data keys for resources of this account.
  data_key_services = [for s in sort(tolist(var.service_principals)) : s if s != "logs"]
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy is a resource policy: "*" is the key itself, and the account-root statement is the AWS default that enables IAM policies.
  #checkov:skip=CKV_AWS_111:A key policy is a resource policy: "*" is the key itself; service statements are limited by aws:SourceAccount or the logs encryption context.
  #checkov:skip=CKV_AWS_356:A key policy is a resource policy: "*" is the only valid resource and means this key.
  # The key policy is a resource policy: "*" as resource means "this key".
  statement {
    sid       = "AccountRootAdministers"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }

  dynamic "statement" {
    for_each = contains(var.service_principals, "logs") ? [1] : []
    content {
      sid    = "CloudWatchLogsEncryptsLogGroups"
      effect = "Allow"
      actions = [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:DescribeKey",
      ]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${var.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = ["arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:${var.log_group_name_prefix}*"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.data_key_services
    content {
      sid       = "${title(statement.value)}UsesDataKeys"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["${statement.value}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [var.account_id]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

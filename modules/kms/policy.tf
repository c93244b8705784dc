locals {
  root_arn = "arn:${var.partition}:iam::${var.account_id}:root"
  # Services that only need to encrypt and decrypt data keys for resources of this account.
  data_key_services = [for s in sort(tolist(var.service_principals)) : s if s != "logs"]
  # The administrators' actions of the AWS default key policy: manage the key, never use it.
  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
  ]
  # The users' actions of the AWS default key policy: use the key, never manage it.
  user_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
  ]
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
    for_each = length(var.key_administrators) > 0 ? [1] : []
    content {
      sid       = "KeyAdministrators"
      effect    = "Allow"
      actions   = local.admin_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = sort(var.key_administrators)
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.key_users) > 0 ? [1] : []
    content {
      sid       = "KeyUsers"
      effect    = "Allow"
      actions   = local.user_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = sort(var.key_users)
      }
    }
  }

  # Users may let AWS services (EBS, RDS, ...) use the key for them through grants, nothing else.
  dynamic "statement" {
    for_each = length(var.key_users) > 0 ? [1] : []
    content {
      sid       = "KeyUsersGrantToAwsServices"
      effect    = "Allow"
      actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = sort(var.key_users)
      }

      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }
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

  dynamic "statement" {
    for_each = var.extra_statements
    content {
      sid       = statement.key
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = ["*"]

      dynamic "principals" {
        for_each = statement.value.principals
        content {
          type        = principals.value.type
          identifiers = principals.value.identifiers
        }
      }

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}


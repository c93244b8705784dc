# A topic with one subscriber of each protocol and a partner account allowed to subscribe its own
# queue. The SQS subscriber is an encrypted queue of the same account: its policy lets only this topic
# send, and the key lets SNS use it.
module "kms" {
  source = "../../../kms"

  name                    = "orders-example-events"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  service_principals      = ["logs", "sns"]
  tags                    = local.tags
}

module "topic" {
  source = "../.."

  name              = "orders-example-events"
  kms_key_arn       = module.kms.key_arn
  account_id        = var.account_id
  subscriptions     = local.subscriptions
  policy_statements = var.policy_statements
  tags              = local.tags
}

locals {
  # The queue's ARN spelled out (known at plan time), so the module validates every endpoint then.
  audit_queue_arn = "arn:aws:sqs:${var.region}:${var.account_id}:orders-example-audit"
  subscriptions = merge(var.subscriptions, {
    audit_queue = {
      protocol             = "sqs"
      endpoint             = local.audit_queue_arn
      raw_message_delivery = true
      filter_policy        = jsonencode({ status = ["cancelled", "refunded"] })
      filter_policy_scope  = "MessageBody"
    }
  })
}

resource "aws_sqs_queue" "audit" {
  name              = element(split(":", local.audit_queue_arn), 5)
  kms_master_key_id = module.kms.key_arn
  tags              = local.tags
}

data "aws_iam_policy_document" "audit" {
  statement {
    sid       = "TopicSends"
    actions   = ["sqs:SendMessage"]
    resources = [local.audit_queue_arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [module.topic.topic_arn]
    }
  }
}

resource "aws_sqs_queue_policy" "audit" {
  queue_url = aws_sqs_queue.audit.id
  policy    = data.aws_iam_policy_document.audit.json
}

variable "policy_statements" {
  description = "Extra topic policy statements: a partner account may subscribe its SQS queues."
  type = map(object({
    actions    = list(string)
    principals = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = {
    PartnerSubscribes = {
      actions    = ["sns:Subscribe"]
      principals = ["arn:aws:iam::210987654321:root"]
      conditions = [{ test = "StringEquals", variable = "sns:Protocol", values = ["sqs"] }]
    }
  }
}

variable "subscriptions" {
  description = "Subscriptions besides the audit queue."
  type = map(object({
    protocol               = string
    endpoint               = string
    raw_message_delivery   = optional(bool, false)
    filter_policy          = optional(string)
    filter_policy_scope    = optional(string, "MessageAttributes")
    endpoint_auto_confirms = optional(bool, false)
  }))
  default = {
    fulfilment = {
      protocol      = "lambda"
      endpoint      = "arn:aws:lambda:us-east-1:123456789012:function:orders-example-fulfilment"
      filter_policy = "{\"status\":[\"paid\"],\"total\":[{\"numeric\":[\">=\",100]}]}"
    }
    ops_mail = {
      protocol = "email"
      endpoint = "ops@example.com"
    }
    partner_webhook = {
      protocol               = "https"
      endpoint               = "https://hooks.example.com/orders"
      raw_message_delivery   = true
      endpoint_auto_confirms = true
    }
  }
}

output "subscription_arns" {
  description = "Subscription ARNs."
  value       = module.topic.subscription_arns
}

variable "function_name" {
  description = "Function name; carries the environment, e.g. `crypto-prices-dev-enricher`. Also names the role, log group and queues."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,52}$", var.function_name))
    error_message = "function_name must be 1-52 letters, digits, '_' or '-' (queue and role names append a suffix)."
  }
}

variable "description" {
  description = "Function description."
  type        = string
  default     = ""
}

variable "handler" {
  description = "Handler, `<package>.<module>.<function>`, e.g. `price_enricher.handler.handler`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must be a dotted Python path such as pkg.module.function."
  }
}

variable "runtime" {
  description = "Python runtime."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.11, python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "Instruction set: arm64 (Graviton, cheaper per GB-second) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "filename" {
  description = "Path of the deployment zip built by the caller (scripts/package.py); its SHA-256 becomes `source_code_hash`."
  type        = string

  validation {
    condition     = endswith(var.filename, ".zip")
    error_message = "filename must be a .zip file."
  }
}

variable "memory_size" {
  description = "Memory in MB (128-10240)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be from 128 to 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout in seconds (1-900)."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be from 1 to 900 seconds."
  }
}

variable "reserved_concurrency" {
  description = <<-EOT
    Reserved concurrent executions (1-1000), or null for none (the function shares the account's unreserved
    pool). Reserving caps the function's cost and concurrency and protects the other functions of the
    account, but AWS keeps 100 executions unreserved per account: a new account (quota 10) cannot reserve
    any, and the apply fails. Request a quota increase first, then set it.
  EOT
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1 && var.reserved_concurrency <= 1000 && floor(var.reserved_concurrency) == var.reserved_concurrency, false)
    error_message = "reserved_concurrency must be null (unreserved) or a whole number from 1 to 1000."
  }
}

variable "environment_variables" {
  description = "Environment variables, encrypted at rest with `kms_key_arn`. Never put secrets here: pass a Secrets Manager ARN."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Customer managed key for environment variables, the log group and the module's queues."
  type        = string

  validation {
    condition     = can(regex("^arn:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "kms_key_actions" {
  description = "KMS actions the role may use on the key: kms:Decrypt is always needed (environment variables, encrypted table and stream); add kms:GenerateDataKey to publish to encrypted SNS/SQS."
  type        = set(string)
  default     = ["kms:Decrypt"]

  validation {
    condition     = alltrue([for a in var.kms_key_actions : contains(["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:DescribeKey"], a)])
    error_message = "kms_key_actions may hold kms:Decrypt, kms:GenerateDataKey, kms:Encrypt, kms:DescribeKey."
  }
}

variable "account_id" {
  description = "AWS account id (12 digits): ARNs in the role policy are built from it so the policy is known at plan time."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "AWS region of the function."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "partition" {
  description = "AWS partition."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be one of aws, aws-cn, aws-us-gov."
  }
}

variable "log_retention_days" {
  description = "Log group retention in days (a value CloudWatch Logs accepts; never 'forever')."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing: Active samples and traces requests, PassThrough only forwards upstream trace headers."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "policy_statements" {
  description = <<-EOT
    The function's own AWS permissions besides logs, tracing, KMS and what the module's triggers need:
    a map of statement id to actions and concrete resource ARNs (no `*` action, no `*` resource).
  EOT
  type = map(object({
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = {}

  validation {
    condition     = alltrue(flatten([for s in values(var.policy_statements) : [for a in s.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9]+$", a))]]))
    error_message = "Every action must be a single service:Action, without wildcards."
  }

  validation {
    condition     = alltrue(flatten([for s in values(var.policy_statements) : [for r in s.resources : startswith(r, "arn:")]]))
    error_message = "Every resource must be an ARN (no bare '*')."
  }

  validation {
    condition     = alltrue([for k, s in var.policy_statements : can(regex("^[A-Za-z0-9]+$", k)) && length(s.actions) > 0 && length(s.resources) > 0])
    error_message = "Statement ids must be alphanumeric and every statement needs actions and resources."
  }
}

variable "function_url" {
  description = <<-EOT
    Function URL, or null for none. `authorization_type = "NONE"` makes it public (the handler must
    authenticate requests, e.g. by HMAC) and adds the resource-policy grants public access needs. No CORS
    configuration: the URL is for server-to-server webhooks.
  EOT
  type = object({
    authorization_type = optional(string, "AWS_IAM")
    invoke_mode        = optional(string, "BUFFERED")
    # AWS requires lambda:InvokeFunction as well as lambda:InvokeFunctionUrl for function URLs created
    # from October 2025 on. Provider 5.x cannot limit that grant to URL calls (lambda:InvokedViaFunctionUrl,
    # provider 6.29.0): see main.tf for its blast radius.
    grant_invoke_function = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.function_url == null || try(contains(["AWS_IAM", "NONE"], var.function_url.authorization_type) && contains(["BUFFERED", "RESPONSE_STREAM"], var.function_url.invoke_mode), false)
    error_message = "function_url.authorization_type must be AWS_IAM or NONE and invoke_mode BUFFERED or RESPONSE_STREAM."
  }
}

variable "stream_source" {
  description = <<-EOT
    DynamoDB stream event source mapping, or null for none. Failed batches (after retries, or too old) are
    sent as metadata to an on-failure SQS queue the module creates, encrypts with `kms_key_arn` and grants.
    `filter_patterns` default to INSERT only: the function's own writes emit MODIFY records that would
    otherwise invoke it again. `stream_arn_pattern` is the ARN the role's stream permissions name (default:
    `event_source_arn`); give `<table arn>/stream/*` to keep the policy known at plan time.
  EOT
  type = object({
    event_source_arn                   = string
    stream_arn_pattern                 = optional(string)
    starting_position                  = optional(string, "TRIM_HORIZON")
    batch_size                         = optional(number, 100)
    maximum_batching_window_in_seconds = optional(number, 1)
    parallelization_factor             = optional(number, 1)
    bisect_batch_on_function_error     = optional(bool, true)
    maximum_retry_attempts             = optional(number, 5)
    maximum_record_age_in_seconds      = optional(number, 3600)
    report_batch_item_failures         = optional(bool, true)
    filter_patterns                    = optional(list(string), ["{\"eventName\":[\"INSERT\"]}"])
    enabled                            = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.stream_source == null || try(contains(["TRIM_HORIZON", "LATEST"], var.stream_source.starting_position), false)
    error_message = "stream_source.starting_position must be TRIM_HORIZON or LATEST."
  }

  validation {
    condition     = var.stream_source == null || try(var.stream_source.batch_size >= 1 && var.stream_source.batch_size <= 10000, false)
    error_message = "stream_source.batch_size must be from 1 to 10000."
  }

  validation {
    condition     = var.stream_source == null || try(var.stream_source.maximum_batching_window_in_seconds >= 0 && var.stream_source.maximum_batching_window_in_seconds <= 300, false)
    error_message = "stream_source.maximum_batching_window_in_seconds must be from 0 to 300."
  }

  validation {
    condition     = var.stream_source == null || try(var.stream_source.parallelization_factor >= 1 && var.stream_source.parallelization_factor <= 10, false)
    error_message = "stream_source.parallelization_factor must be from 1 to 10."
  }

  validation {
    condition     = var.stream_source == null || try(var.stream_source.maximum_retry_attempts >= -1 && var.stream_source.maximum_retry_attempts <= 10000, false)
    error_message = "stream_source.maximum_retry_attempts must be from -1 (infinite) to 10000."
  }

  validation {
    condition     = var.stream_source == null || try(var.stream_source.maximum_record_age_in_seconds == -1 || (var.stream_source.maximum_record_age_in_seconds >= 60 && var.stream_source.maximum_record_age_in_seconds <= 604800), false)
    error_message = "stream_source.maximum_record_age_in_seconds must be -1 (infinite) or from 60 to 604800."
  }

  validation {
    condition     = var.stream_source == null || try(length(var.stream_source.filter_patterns) <= 5 && alltrue([for p in var.stream_source.filter_patterns : can(jsondecode(p))]), false)
    error_message = "stream_source.filter_patterns must be at most 5 JSON documents."
  }

  validation {
    condition     = var.stream_source == null || try(can(regex("^arn:[a-z-]+:dynamodb:", var.stream_source.event_source_arn)), false)
    error_message = "stream_source.event_source_arn must be a DynamoDB stream ARN."
  }
}

variable "async_invocation" {
  description = <<-EOT
    Settings for asynchronous invocations (S3, SNS, EventBridge, `InvocationType=Event`), or null when the
    function is not invoked asynchronously. Only then does a dead-letter queue receive anything: a function
    invoked by a Function URL (synchronous) or an event source mapping (polled) gets no DLQ, it would
    stay empty.
  EOT
  type = object({
    maximum_retry_attempts       = optional(number, 2)
    maximum_event_age_in_seconds = optional(number, 3600)
    dead_letter_queue            = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.async_invocation == null || try(var.async_invocation.maximum_retry_attempts >= 0 && var.async_invocation.maximum_retry_attempts <= 2, false)
    error_message = "async_invocation.maximum_retry_attempts must be from 0 to 2."
  }

  validation {
    condition     = var.async_invocation == null || try(var.async_invocation.maximum_event_age_in_seconds >= 60 && var.async_invocation.maximum_event_age_in_seconds <= 21600, false)
    error_message = "async_invocation.maximum_event_age_in_seconds must be from 60 to 21600."
  }
}

variable "queue_message_retention_seconds" {
  description = "Retention of the on-failure queue and dead-letter queue (60 s to 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.queue_message_retention_seconds >= 60 && var.queue_message_retention_seconds <= 1209600
    error_message = "queue_message_retention_seconds must be from 60 to 1209600."
  }
}

variable "alarms" {
  description = <<-EOT
    CloudWatch alarms (see alarms.tf): function Errors and Throttles always; with a Function URL its
    Url5xxCount (errors_threshold); with a stream source IteratorAge (maximum, ms) and the on-failure
    queue's ApproximateNumberOfMessagesVisible and ApproximateAgeOfOldestMessage (seconds). `actions` are
    SNS topic ARNs notified on ALARM and OK.
  EOT
  type = object({
    enabled                     = optional(bool, false)
    actions                     = optional(list(string), [])
    errors_threshold            = optional(number, 1)
    throttles_threshold         = optional(number, 1)
    iterator_age_ms_threshold   = optional(number, 60000)
    queue_depth_threshold       = optional(number, 1)
    queue_age_seconds_threshold = optional(number, 3600)
    period_seconds              = optional(number, 300)
    evaluation_periods          = optional(number, 1)
  })
  default = {}

  validation {
    condition     = var.alarms.errors_threshold >= 1 && var.alarms.throttles_threshold >= 1 && var.alarms.iterator_age_ms_threshold >= 1000 && var.alarms.queue_depth_threshold >= 1
    error_message = "alarms thresholds: errors >= 1, throttles >= 1, iterator age >= 1000 ms, queue depth >= 1."
  }

  validation {
    condition     = var.alarms.queue_age_seconds_threshold >= 60 && var.alarms.queue_age_seconds_threshold <= 1209600
    error_message = "alarms.queue_age_seconds_threshold must be from 60 to 1209600 (the queue's longest retention)."
  }

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarms.period_seconds) && var.alarms.evaluation_periods >= 1 && var.alarms.evaluation_periods <= 24
    error_message = "alarms.period_seconds must be 60, 300, 900 or 3600 and evaluation_periods from 1 to 24."
  }

  validation {
    condition     = alltrue([for a in var.alarms.actions : can(regex("^arn:[a-z-]+:sns:", a))])
    error_message = "alarms.actions must be SNS topic ARNs."
  }
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}

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
  description = "Handler in the runtime's own notation: `pkg.module.function` (Python), `index.handler` (Node.js), `Namespace.Class::Method` (Java, .NET), `bootstrap` (custom runtimes). Required for zip code (`filename`, `s3_code`); null for a container `image` (its CMD names it)."
  type        = string
  default     = null

  validation {
    condition     = var.image != null ? var.handler == null : can(regex("^[^\\s]{1,128}$", coalesce(var.handler, " ")))
    error_message = "handler must be 1-128 characters without whitespace for zip code (filename, s3_code), and null for a container image (its CMD, or image.command, names it)."
  }
}

variable "runtime" {
  description = <<-EOT
    Lambda runtime identifier of zip code (ignored for a container `image`), checked by its pattern so that
    a runtime AWS adds needs no module release: pythonX.Y, nodejsN.x, javaN, dotnetN, rubyX.Y or
    provided.alNNNN (OS-only). Whether AWS still accepts it for new functions is AWS's check, at apply.
  EOT
  type        = string
  default     = "python3.13"

  validation {
    condition     = can(regex("^(python3\\.[0-9]{1,2}|nodejs[0-9]{2}\\.x|java[0-9]{1,2}|dotnet[0-9]{1,2}|ruby[0-9]\\.[0-9]{1,2}|provided\\.al[0-9]{4})$", var.runtime))
    error_message = "runtime must look like python3.13, nodejs22.x, java21, dotnet8, ruby3.3 or provided.al2023."
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
  description = "Path of a local deployment zip built by the caller (scripts/package.py); its SHA-256 becomes `source_code_hash`. Give exactly one of `filename`, `s3_code` and `image`."
  type        = string
  default     = null

  validation {
    condition     = var.filename == null || endswith(coalesce(var.filename, "-"), ".zip")
    error_message = "filename must be a .zip file."
  }

  validation {
    condition     = (var.filename != null ? 1 : 0) + (var.s3_code != null ? 1 : 0) + (var.image != null ? 1 : 0) == 1
    error_message = "Give exactly one code source: filename (a local zip), s3_code (an S3 object) or image (a container image)."
  }
}

variable "s3_code" {
  description = <<-EOT
    The deployment zip as an S3 object in the function's region, or null. Give `object_version` (a
    versioned bucket) so that a new upload is a change Terraform sees: without it, a new object under the
    same key is deployed only when something else changes. The identity applying needs s3:GetObject
    (and s3:GetObjectVersion) on it.
  EOT
  type = object({
    bucket         = string
    key            = string
    object_version = optional(string)
  })
  default = null

  validation {
    condition     = var.s3_code == null || try(can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_code.bucket)) && length(var.s3_code.key) >= 1 && length(var.s3_code.key) <= 1024 && endswith(var.s3_code.key, ".zip"), false)
    error_message = "s3_code.bucket must be an S3 bucket name and s3_code.key the key of a .zip object (1-1024 characters)."
  }
}

variable "image" {
  description = <<-EOT
    The code as a container image in Amazon ECR, or null: `package_type` becomes Image, `handler` and
    `runtime` do not apply (the image's ENTRYPOINT/CMD do; `command`, `entry_point`, `working_directory`
    override them) and layers are not allowed. The ECR repository must let Lambda pull the image (same
    account: the identity applying needs ecr:BatchGetImage and ecr:GetDownloadUrlForLayer). Prefer a
    digest (`@sha256:...`): a moved tag is not a change Terraform sees.
  EOT
  type = object({
    uri               = string
    command           = optional(list(string))
    entry_point       = optional(list(string))
    working_directory = optional(string)
  })
  default = null

  validation {
    condition     = var.image == null || try(can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@sha256:[0-9a-f]{64})$", var.image.uri)), false)
    error_message = "image.uri must be an Amazon ECR image: <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>."
  }

  validation {
    condition     = var.image == null || length(var.layers) == 0
    error_message = "A container image function takes no layers: build them into the image."
  }
}

variable "publish" {
  description = "Publish a new numbered version on every code or configuration change (needed by `alias` without a `function_version`, `provisioned_concurrency` and `snap_start`)."
  type        = bool
  default     = false
}

variable "alias" {
  description = <<-EOT
    An alias, or null. It points at `function_version`, by default the version this apply publishes
    (`publish = true`). `routing` sends `weight` (0-1, exclusive) of the invocations to another version:
    a canary of a new version, or the tail of the old one. With `invoke_through` (default) the event source
    mappings, the Function URL, the asynchronous invocation settings and `allowed_triggers` use the alias,
    so callers run the version the alias names, not $LATEST.
  EOT
  type = object({
    name             = string
    description      = optional(string, "")
    function_version = optional(string)
    invoke_through   = optional(bool, true)
    routing = optional(object({
      version = string
      weight  = number
    }))
  })
  default = null

  validation {
    condition     = var.alias == null || try(can(regex("^[A-Za-z0-9_-]{1,128}$", var.alias.name)) && !can(regex("^[0-9]+$", var.alias.name)), false)
    error_message = "alias.name must be 1-128 letters, digits, '_' or '-', and not only digits (those name versions)."
  }

  validation {
    condition     = var.alias == null || try(var.alias.function_version != null || var.publish, false)
    error_message = "alias without function_version points at the version this apply publishes: set publish = true."
  }

  validation {
    condition     = var.alias == null || try(var.alias.function_version == null || can(regex("^[0-9]+$", var.alias.function_version)), false)
    error_message = "alias.function_version must be a published version number."
  }

  validation {
    condition     = try(var.alias.routing, null) == null || try(can(regex("^[0-9]+$", var.alias.routing.version)) && var.alias.routing.version != var.alias.function_version && var.alias.routing.weight > 0 && var.alias.routing.weight < 1, false)
    error_message = "alias.routing needs a published version number other than function_version and a weight between 0 and 1 (exclusive)."
  }
}

variable "provisioned_concurrency" {
  description = "Execution environments kept initialised on the alias (billed while configured), or null. Needs `alias`; at most `reserved_concurrency` when that is set (AWS refuses more)."
  type        = number
  default     = null

  validation {
    condition     = var.provisioned_concurrency == null || try(var.provisioned_concurrency >= 1 && floor(var.provisioned_concurrency) == var.provisioned_concurrency && var.alias != null, false)
    error_message = "provisioned_concurrency must be a whole number >= 1 and needs an alias."
  }

  validation {
    condition     = var.provisioned_concurrency == null || var.reserved_concurrency == null || try(var.provisioned_concurrency <= var.reserved_concurrency, false)
    error_message = "provisioned_concurrency cannot exceed reserved_concurrency."
  }
}

variable "snap_start" {
  description = <<-EOT
    Lambda SnapStart on published versions: a snapshot of the initialised function resumes instead of a cold
    start. AWS allows it for Java 11+, Python 3.12+ and .NET 8+ zip functions only, on published versions
    (`publish = true`), without provisioned concurrency and with at most 512 MB of /tmp.
  EOT
  type        = bool
  default     = false

  validation {
    condition     = !var.snap_start || (var.image == null && can(regex("^(java(1[1-9]|[2-9][0-9])|python3\\.(1[2-9]|[2-9][0-9])|dotnet([89]|[1-9][0-9]))$", var.runtime)))
    error_message = "snap_start needs a zip function on Java 11+, Python 3.12+ or .NET 8+."
  }

  validation {
    condition     = !var.snap_start || (var.publish && var.provisioned_concurrency == null && var.ephemeral_storage_size == 512)
    error_message = "snap_start needs publish = true, no provisioned_concurrency and ephemeral_storage_size = 512."
  }
}

variable "recursive_loop" {
  description = "Recursive-loop detection (aws_lambda_function_recursion_config): Terminate stops a loop through SQS, SNS or S3 after about 16 invocations, Allow lets it run (only for code that loops on purpose). null keeps AWS's default, Terminate, without managing the setting."
  type        = string
  default     = null

  validation {
    condition     = var.recursive_loop == null || contains(["Allow", "Terminate"], coalesce(var.recursive_loop, "-"))
    error_message = "recursive_loop must be null, Allow or Terminate."
  }
}

variable "allowed_triggers" {
  description = <<-EOT
    Other services and accounts allowed to invoke the function (resource-based policy statements), by
    statement id: `principal` is a service (`s3.amazonaws.com`, `sns.amazonaws.com`,
    `events.amazonaws.com`, ...) or an account id; a service must be limited by `source_arn` (the bucket,
    topic or rule), `source_account` or both, so that no other account's resource can use it to invoke the
    function (confused deputy).
  EOT
  type = map(object({
    principal      = string
    source_arn     = optional(string)
    source_account = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for k, t in var.allowed_triggers : can(regex("^[A-Za-z0-9_-]{1,100}$", k)) && (can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)*\\.amazonaws\\.com$", t.principal)) || can(regex("^[0-9]{12}$", t.principal)))])
    error_message = "allowed_triggers keys must be 1-100 letters, digits, '_' or '-', and each principal a service principal (<service>.amazonaws.com) or a 12-digit account id."
  }

  validation {
    condition     = alltrue([for k, t in var.allowed_triggers : !endswith(t.principal, ".amazonaws.com") || t.source_arn != null || t.source_account != null])
    error_message = "allowed_triggers with a service principal need source_arn, source_account or both."
  }

  validation {
    condition     = alltrue([for k, t in var.allowed_triggers : (t.source_arn == null || can(regex("^arn:[a-z-]+:[a-z0-9-]+:", coalesce(t.source_arn, "-")))) && (t.source_account == null || can(regex("^[0-9]{12}$", coalesce(t.source_account, "-"))))])
    error_message = "allowed_triggers source_arn must be an ARN and source_account 12 digits."
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
  description = "Environment variables, encrypted at rest with the `kms` key (Lambda's AWS managed key without one). Never put secrets here: pass a Secrets Manager ARN."
  type        = map(string)
  default     = {}
}

variable "kms" {
  description = <<-EOT
    Customer managed key for the environment variables, the log group and the module's queues, and the
    KMS actions the role may use on it (kms:Decrypt is always granted: environment variables, encrypted
    table and stream; add kms:GenerateDataKey to publish to encrypted SNS/SQS; the module adds it itself
    for its own queues). null: AWS managed keys (Lambda's and CloudWatch Logs' own encryption, SSE-SQS on
    the queues) and no KMS statement for them. An object rather than a bare ARN so that whether there is a
    key is known at plan time even when the key is created in the same apply.
  EOT
  type = object({
    key_arn = string
    actions = optional(set(string), ["kms:Decrypt"])
  })
  default = null

  validation {
    condition     = var.kms == null || try(can(regex("^arn:[a-z-]+:kms:", var.kms.key_arn)), false)
    error_message = "kms.key_arn must be a KMS key ARN."
  }

  validation {
    condition     = var.kms == null || try(alltrue([for a in var.kms.actions : contains(["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:DescribeKey"], a)]), false)
    error_message = "kms.actions may hold kms:Decrypt, kms:GenerateDataKey, kms:Encrypt, kms:DescribeKey."
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

variable "log_group_class" {
  description = "Class of the log group the module creates: STANDARD, or INFREQUENT_ACCESS (cheaper ingestion; no metric filters, subscriptions or Live Tail). null: CloudWatch's default, STANDARD. Changing it replaces the log group, and its logs are lost."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_class == null || contains(["STANDARD", "INFREQUENT_ACCESS"], coalesce(var.log_group_class, "-"))
    error_message = "log_group_class must be null, STANDARD or INFREQUENT_ACCESS."
  }
}

variable "existing_log_group_name" {
  description = "Name of a log group of yours for the function's logs (e.g. one shared by several functions), or null for the module's own `/aws/lambda/<function_name>`. With it the module creates no log group (retention, class and key are yours), points `logging_config` at it, and grants the role logs:CreateLogStream and logs:PutLogEvents on it."
  type        = string
  default     = null

  validation {
    condition     = var.existing_log_group_name == null || can(regex("^[A-Za-z0-9_./#-]{1,512}$", coalesce(var.existing_log_group_name, "-")))
    error_message = "existing_log_group_name must be 1-512 letters, digits, '_', '-', '/', '.' or '#'."
  }

  validation {
    condition     = var.existing_log_group_name == null || var.log_group_class == null
    error_message = "log_group_class applies to the module's own log group: with existing_log_group_name, set the class on your group."
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
    authenticate requests, e.g. by HMAC) and adds the resource-policy grants public access needs. `cors`
    (browsers only; a server-to-server webhook needs none): the origins allowed, `"*"` for any but then
    without credentials; methods from GET, PUT, POST, PATCH, DELETE, HEAD, OPTIONS or `"*"`; `max_age`
    in seconds (at most 86400).
  EOT
  type = object({
    authorization_type = optional(string, "AWS_IAM")
    invoke_mode        = optional(string, "BUFFERED")
    # AWS requires lambda:InvokeFunction as well as lambda:InvokeFunctionUrl for function URLs created
    # from October 2025 on. Provider 5.x cannot limit that grant to URL calls (lambda:InvokedViaFunctionUrl,
    # provider 6.29.0): see main.tf for its blast radius.
    grant_invoke_function = optional(bool, true)
    cors = optional(object({
      allow_origins     = list(string)
      allow_methods     = optional(list(string), ["*"])
      allow_headers     = optional(list(string), [])
      expose_headers    = optional(list(string), [])
      allow_credentials = optional(bool, false)
      max_age           = optional(number, 0)
    }))
  })
  default = null

  validation {
    condition     = var.function_url == null || try(contains(["AWS_IAM", "NONE"], var.function_url.authorization_type) && contains(["BUFFERED", "RESPONSE_STREAM"], var.function_url.invoke_mode), false)
    error_message = "function_url.authorization_type must be AWS_IAM or NONE and invoke_mode BUFFERED or RESPONSE_STREAM."
  }

  validation {
    condition = try(var.function_url.cors, null) == null || try(
      length(var.function_url.cors.allow_origins) >= 1 && length(var.function_url.cors.allow_origins) <= 100 &&
      alltrue([for o in var.function_url.cors.allow_origins : o == "*" || can(regex("^https?://[A-Za-z0-9.*-]+(:[0-9]{1,5})?$", o))]) &&
      alltrue([for m in var.function_url.cors.allow_methods : contains(["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"], m)]) &&
      var.function_url.cors.max_age >= 0 && var.function_url.cors.max_age <= 86400 && floor(var.function_url.cors.max_age) == var.function_url.cors.max_age,
      false
    )
    error_message = "function_url.cors: 1-100 allow_origins, each \"*\" or a scheme://host[:port] origin; allow_methods from GET, PUT, POST, PATCH, DELETE, HEAD, OPTIONS, \"*\"; max_age a whole number of seconds from 0 to 86400."
  }

  validation {
    condition     = try(var.function_url.cors, null) == null || try(!(var.function_url.cors.allow_credentials && contains(var.function_url.cors.allow_origins, "*")), false)
    error_message = "function_url.cors.allow_credentials needs explicit allow_origins, not \"*\" (browsers refuse credentials with a wildcard origin)."
  }
}

variable "stream_source" {
  description = <<-EOT
    One DynamoDB stream source, the shorthand of release 0.x kept for its callers: the same as an
    `event_sources` entry under the key `stream` (type dynamodb) whose on-failure queue is named
    `<function_name>-on-failure`. `filter_patterns` default to INSERT only: the function's own writes
    emit MODIFY records that would otherwise invoke it again. `stream_arn_pattern` is the ARN the role's
    stream permissions name (default: `event_source_arn`); give `<table arn>/stream/*` to keep the policy
    known at plan time. New callers use `event_sources`.
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

variable "event_sources" {
  description = <<-EOT
    Event source mappings, by key (lowercase letters, digits, '-'; it names the mapping's on-failure
    queue and IAM statements). `type` is dynamodb (a table's stream), kinesis (a stream, or an
    enhanced fan-out consumer ARN) or sqs (a queue). Unset settings take the type's defaults (streams:
    TRIM_HORIZON, batch 100, window 1 s, parallelization 1, bisect on error, 5 retries, records at most
    1 h old; sqs: batch 10, window 0).
    - dynamodb, kinesis: failed batches (retries exhausted, records too old) go as metadata to an
      on-failure SQS queue the module creates per source (`<function_name>-<key>-on-failure`, or
      `on_failure_queue_name`), encrypted with the `kms` key, granted `sqs:SendMessage`.
    - sqs: failures stay on the source queue, whose own redrive policy (maxReceiveCount, dead-letter
      queue) is where they end up: configure it on the queue. `queue_visibility_timeout_seconds` is that
      queue's visibility timeout, checked against AWS's advice of at least 6 x the function timeout.
    `arn_pattern` is the ARN the role's statements name instead of `arn` (e.g. `<table arn>/stream/*`,
    known at plan time); `kms_key_arn` is the key encrypting the source (the role gets kms:Decrypt on it;
    whether it is null must be known at plan time unless `kms` is set).
    `filters` are up to 5 JSON filter patterns; `function_response_types` default to
    ReportBatchItemFailures (the handler returns the failed items; set [] if it does not). `metrics`
    (metrics_config) turns on the mapping's own CloudWatch metrics: ["EventCount"] (polled, filtered,
    invoked and dropped events; billed as custom metrics).
  EOT
  type = map(object({
    type                               = string
    arn                                = string
    arn_pattern                        = optional(string)
    kms_key_arn                        = optional(string)
    enabled                            = optional(bool, true)
    filters                            = optional(list(string), [])
    batch_size                         = optional(number)
    maximum_batching_window_in_seconds = optional(number)
    function_response_types            = optional(list(string), ["ReportBatchItemFailures"])
    metrics                            = optional(list(string), [])
    # dynamodb and kinesis only
    starting_position              = optional(string)
    starting_position_timestamp    = optional(string)
    parallelization_factor         = optional(number)
    maximum_retry_attempts         = optional(number)
    maximum_record_age_in_seconds  = optional(number)
    bisect_batch_on_function_error = optional(bool)
    tumbling_window_in_seconds     = optional(number)
    on_failure_queue_name          = optional(string)
    # sqs only
    queue_visibility_timeout_seconds = optional(number)
    scaling_config = optional(object({
      maximum_concurrency = number
    }))
  }))
  default = {}

  validation {
    condition     = alltrue([for k, s in var.event_sources : can(regex("^[a-z0-9-]{1,20}$", k)) && contains(["dynamodb", "kinesis", "sqs"], s.type)])
    error_message = "event_sources keys must be 1-20 lowercase letters, digits or '-', and each type dynamodb, kinesis or sqs."
  }

  validation {
    condition = alltrue([for k, s in var.event_sources : can(regex(
      s.type == "dynamodb" ? "^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[^/]+/stream/.+$" :
      s.type == "kinesis" ? "^arn:[a-z-]+:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[^/]+(/consumer/[^/]+)?$" :
      "^arn:[a-z-]+:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,75}(\\.fifo)?$",
      coalesce(s.arn_pattern, s.arn)
    ))])
    error_message = "event_sources arn (and arn_pattern) must be a DynamoDB stream ARN (type dynamodb), a Kinesis stream or consumer ARN (kinesis), or an SQS queue ARN (sqs)."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:", s.kms_key_arn))])
    error_message = "event_sources kms_key_arn must be a KMS key ARN."
  }

  validation {
    condition = alltrue([for k, s in var.event_sources : s.type != "sqs" || alltrue([
      for v in [s.starting_position, s.starting_position_timestamp, s.parallelization_factor, s.maximum_retry_attempts, s.maximum_record_age_in_seconds, s.bisect_batch_on_function_error, s.tumbling_window_in_seconds, s.on_failure_queue_name] : v == null
    ])])
    error_message = "event_sources of type sqs take no stream settings (starting_position, parallelization_factor, retries, record age, bisect, tumbling window, on-failure queue): failures follow the queue's redrive policy."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.type == "sqs" || (s.queue_visibility_timeout_seconds == null && s.scaling_config == null)])
    error_message = "queue_visibility_timeout_seconds and scaling_config apply to sqs event sources only."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.type != "sqs" || try(s.queue_visibility_timeout_seconds >= 6 * var.timeout && s.queue_visibility_timeout_seconds <= 43200, false)])
    error_message = "Every sqs event source needs queue_visibility_timeout_seconds (the queue's visibility timeout) of at least 6 x timeout (AWS's advice, so throttled batches can be retried) and at most 43200."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.scaling_config == null || try(s.scaling_config.maximum_concurrency >= 2 && s.scaling_config.maximum_concurrency <= 1000, false)])
    error_message = "scaling_config.maximum_concurrency must be from 2 to 1000."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.batch_size == null ? true : s.batch_size >= 1 && s.batch_size <= 10000])
    error_message = "event_sources batch_size must be from 1 to 10000."
  }

  # Conditionals rather than && and ||: they skip the branches that may hold values unknown at plan time.
  validation {
    condition     = alltrue([for k, s in var.event_sources : s.type != "sqs" ? true : coalesce(s.batch_size, 10) <= 10 ? true : coalesce(s.maximum_batching_window_in_seconds, 0) >= 1])
    error_message = "An sqs batch_size above 10 needs maximum_batching_window_in_seconds >= 1."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.type != "sqs" ? true : coalesce(s.batch_size, 10) <= 10 ? true : !endswith(coalesce(s.arn_pattern, s.arn), ".fifo")])
    error_message = "A FIFO queue source takes a batch_size of at most 10."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.maximum_batching_window_in_seconds == null || try(s.maximum_batching_window_in_seconds >= 0 && s.maximum_batching_window_in_seconds <= 300, false)])
    error_message = "event_sources maximum_batching_window_in_seconds must be from 0 to 300."
  }

  validation {
    condition = alltrue([for k, s in var.event_sources : s.starting_position == null || contains(
      s.type == "kinesis" ? ["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] : ["TRIM_HORIZON", "LATEST"], coalesce(s.starting_position, "LATEST")
    )])
    error_message = "event_sources starting_position must be TRIM_HORIZON or LATEST (kinesis also AT_TIMESTAMP)."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : (s.starting_position == "AT_TIMESTAMP") == (s.starting_position_timestamp != null)])
    error_message = "event_sources starting_position_timestamp is required with AT_TIMESTAMP, and only then."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.parallelization_factor == null || try(s.parallelization_factor >= 1 && s.parallelization_factor <= 10, false)])
    error_message = "event_sources parallelization_factor must be from 1 to 10."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.maximum_retry_attempts == null || try(s.maximum_retry_attempts >= -1 && s.maximum_retry_attempts <= 10000, false)])
    error_message = "event_sources maximum_retry_attempts must be from -1 (infinite) to 10000."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.maximum_record_age_in_seconds == null || try(s.maximum_record_age_in_seconds == -1 || (s.maximum_record_age_in_seconds >= 60 && s.maximum_record_age_in_seconds <= 604800), false)])
    error_message = "event_sources maximum_record_age_in_seconds must be -1 (infinite) or from 60 to 604800."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.tumbling_window_in_seconds == null || try(s.tumbling_window_in_seconds >= 0 && s.tumbling_window_in_seconds <= 900, false)])
    error_message = "event_sources tumbling_window_in_seconds must be from 0 to 900."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : length(s.filters) <= 5 && alltrue([for p in s.filters : can(jsondecode(p))])])
    error_message = "event_sources filters must be at most 5 JSON documents per source."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : alltrue([for m in s.metrics : m == "EventCount"])])
    error_message = "event_sources metrics may only hold EventCount (the metric hashicorp/aws 5.100 accepts)."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : alltrue([for t in s.function_response_types : t == "ReportBatchItemFailures"])])
    error_message = "event_sources function_response_types may only hold ReportBatchItemFailures."
  }

  validation {
    condition     = alltrue([for k, s in var.event_sources : s.type == "sqs" || can(regex("^[A-Za-z0-9_-]{1,80}$", coalesce(s.on_failure_queue_name, "${var.function_name}-${k}-on-failure")))])
    error_message = "The on-failure queue name (<function_name>-<key>-on-failure, or on_failure_queue_name) must be at most 80 letters, digits, '_' or '-': shorten the key."
  }

  validation {
    condition     = var.stream_source == null || !contains(keys(var.event_sources), "stream")
    error_message = "stream_source is the event source \"stream\": do not also give an event_sources entry with that key."
  }
}

variable "async_invocation" {
  description = <<-EOT
    Settings for asynchronous invocations (S3, SNS, EventBridge, `InvocationType=Event`), or null when the
    function is not invoked asynchronously. Only then does a dead-letter queue or a destination receive
    anything: a function invoked by a Function URL (synchronous) or an event source mapping (polled) gets
    none, it would stay empty. Failures go either to a dead-letter queue the module creates
    (`dead_letter_queue`, the function's `dead_letter_config`: the event only) or to an on-failure
    destination (`on_failure_destination_arn`: the event with the error and the response), not both;
    `on_success_destination_arn` receives the successful results. Destinations are SQS queues, SNS topics,
    Lambda functions or EventBridge buses; the role gets the one action each needs on its exact ARN.
  EOT
  type = object({
    maximum_retry_attempts       = optional(number, 2)
    maximum_event_age_in_seconds = optional(number, 3600)
    dead_letter_queue            = optional(bool, true)
    on_failure_destination_arn   = optional(string)
    on_success_destination_arn   = optional(string)
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

  validation {
    condition = var.async_invocation == null || alltrue([
      for arn in compact([try(var.async_invocation.on_failure_destination_arn, null), try(var.async_invocation.on_success_destination_arn, null)]) :
      can(regex("^arn:[a-z-]+:(sqs|sns|lambda|events):", arn))
    ])
    error_message = "async_invocation destinations must be SQS queue, SNS topic, Lambda function or EventBridge bus ARNs."
  }

  validation {
    condition     = var.async_invocation == null || !(try(var.async_invocation.dead_letter_queue, false) && try(var.async_invocation.on_failure_destination_arn, null) != null)
    error_message = "async_invocation: give either dead_letter_queue = true or on_failure_destination_arn, not both (set dead_letter_queue = false to use the destination)."
  }
}

variable "role_arn" {
  description = <<-EOT
    An existing execution role, or null for the module to create one (`<function_name>-role`). With a role
    of yours the module creates and attaches nothing: the `policy_json` and `kms_policy_json` outputs say
    what the role needs, and `role_managed` is false. Whether it is null must be known at plan time: a role
    created in the same apply cannot be passed.
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.role_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", var.role_arn))
    error_message = "role_arn must be null or an IAM role ARN."
  }
}

variable "permissions_boundary" {
  description = "ARN of the managed policy set as the permissions boundary of the role the module creates, or null."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:[a-z-]+:iam::([0-9]{12}|aws):policy/", var.permissions_boundary))
    error_message = "permissions_boundary must be null or an IAM policy ARN."
  }

  validation {
    condition     = var.permissions_boundary == null || var.role_arn == null
    error_message = "permissions_boundary applies to the role the module creates: with role_arn, set it on your role."
  }
}

variable "layers" {
  description = "Lambda layer version ARNs (at most 5), in the order they are extracted."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.layers) <= 5 && alltrue([for l in var.layers : can(regex("^arn:[a-z-]+:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", l))])
    error_message = "layers must be at most 5 layer version ARNs (arn:...:layer:<name>:<version>)."
  }
}

variable "vpc_config" {
  description = <<-EOT
    Subnets and security groups to attach the function to, or null for none. The role then gets the
    network-interface permissions of AWSLambdaVPCAccessExecutionRole, scoped as far as EC2 allows:
    CreateNetworkInterface on the given subnets and security groups, ENI management on the account's
    network interfaces of the region, and the two Describe actions, which take no resource, on `*`.
  EOT
  type = object({
    subnet_ids                  = list(string)
    security_group_ids          = list(string)
    ipv6_allowed_for_dual_stack = optional(bool, false)
  })
  default = null

  validation {
    condition     = var.vpc_config == null || try(length(var.vpc_config.subnet_ids) >= 1 && length(var.vpc_config.subnet_ids) <= 16 && alltrue([for s in var.vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))]), false)
    error_message = "vpc_config.subnet_ids must be 1-16 subnet ids (subnet-...)."
  }

  validation {
    condition     = var.vpc_config == null || try(length(var.vpc_config.security_group_ids) >= 1 && length(var.vpc_config.security_group_ids) <= 5 && alltrue([for s in var.vpc_config.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))]), false)
    error_message = "vpc_config.security_group_ids must be 1-5 security group ids (sg-...)."
  }
}

variable "ephemeral_storage_size" {
  description = "Size of /tmp in MB (512-10240)."
  type        = number
  default     = 512

  validation {
    condition     = var.ephemeral_storage_size >= 512 && var.ephemeral_storage_size <= 10240 && floor(var.ephemeral_storage_size) == var.ephemeral_storage_size
    error_message = "ephemeral_storage_size must be a whole number from 512 to 10240 MB."
  }
}

variable "logging_config" {
  description = <<-EOT
    Log format and levels, or null for Lambda's default (Text, to the module's log group). Levels apply to
    the JSON format only: `application_log_level` filters the function's own logs (TRACE, DEBUG, INFO,
    WARN, ERROR, FATAL), `system_log_level` the runtime's (DEBUG, INFO, WARN).
  EOT
  type = object({
    log_format            = optional(string, "JSON")
    application_log_level = optional(string)
    system_log_level      = optional(string)
  })
  default = null

  validation {
    condition     = var.logging_config == null || try(contains(["JSON", "Text"], var.logging_config.log_format), false)
    error_message = "logging_config.log_format must be JSON or Text."
  }

  validation {
    condition     = var.logging_config == null || try(var.logging_config.log_format == "JSON" || (var.logging_config.application_log_level == null && var.logging_config.system_log_level == null), false)
    error_message = "logging_config log levels need log_format = \"JSON\"."
  }

  validation {
    condition     = var.logging_config == null || try(contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], coalesce(var.logging_config.application_log_level, "INFO")) && contains(["DEBUG", "INFO", "WARN"], coalesce(var.logging_config.system_log_level, "INFO")), false)
    error_message = "logging_config.application_log_level must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL, and system_log_level DEBUG, INFO or WARN."
  }
}

variable "queue_message_retention_seconds" {
  description = "Retention of the on-failure queues and the dead-letter queue (60 s to 14 days)."
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
    Url5xxCount (errors_threshold); with a stream source (dynamodb, kinesis) IteratorAge (maximum, ms) and,
    per on-failure queue, ApproximateNumberOfMessagesVisible and ApproximateAgeOfOldestMessage (seconds);
    with the async dead-letter queue its depth. `actions` are SNS topic ARNs notified on ALARM and OK.
    Each description ends with `Runbook: <runbook_url>#<section>` (docs/runbook.md; set the URL your
    operators open, e.g. the file on your Git host).
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
    runbook_url                 = optional(string, "docs/runbook.md")
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
    condition     = length(var.alarms.runbook_url) > 0 && length(var.alarms.runbook_url) <= 512 && !strcontains(var.alarms.runbook_url, "#")
    error_message = "alarms.runbook_url must be 1 to 512 characters without \"#\": each alarm's description appends #<its section> of docs/runbook.md."
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

# ---------------------------------------------------------------- releases: alias and provisioned concurrency

# The alias callers use: the version this apply published (var.publish), or the caller's
# function_version, with an optional weighted share of the invocations for a second version.
resource "aws_lambda_alias" "this" {
  count            = local.has_alias ? 1 : 0
  name             = var.alias.name
  description      = var.alias.description
  function_name    = aws_lambda_function.this.function_name
  function_version = coalesce(var.alias.function_version, aws_lambda_function.this.version)

  dynamic "routing_config" {
    for_each = var.alias.routing == null ? [] : [var.alias.routing]
    content {
      additional_version_weights = { (routing_config.value.version) = routing_config.value.weight }
    }
  }
}

# Provisioned concurrency lives on the alias (never on $LATEST, which AWS refuses).
resource "aws_lambda_provisioned_concurrency_config" "this" {
  count                             = var.provisioned_concurrency == null ? 0 : 1
  function_name                     = aws_lambda_function.this.function_name
  qualifier                         = aws_lambda_alias.this[0].name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

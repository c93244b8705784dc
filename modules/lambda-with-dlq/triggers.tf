# ---------------------------------------------------------------- other invokers and loop detection

# One resource-policy statement per allowed trigger (S3, SNS, EventBridge, another account...), on the
# alias when triggers go through it.
resource "aws_lambda_permission" "triggers" {
  for_each       = var.allowed_triggers
  statement_id   = each.key
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  qualifier      = local.qualifier
  principal      = each.value.principal
  source_arn     = each.value.source_arn
  source_account = each.value.source_account
}

# Recursive-loop detection; null leaves AWS's default (Terminate) unmanaged.
resource "aws_lambda_function_recursion_config" "this" {
  count          = var.recursive_loop == null ? 0 : 1
  function_name  = aws_lambda_function.this.function_name
  recursive_loop = var.recursive_loop
}

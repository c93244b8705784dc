# ---------------------------------------------------------------- function URL

resource "aws_lambda_function_url" "this" {
  #checkov:skip=CKV_AWS_258:Auth NONE only when the caller asks for it (the webhook: feeds cannot sign SigV4); the handler verifies an HMAC-SHA256 signature and a timestamp window.
  count              = local.has_url ? 1 : 0
  function_name      = aws_lambda_function.this.function_name
  qualifier          = local.qualifier
  authorization_type = var.function_url.authorization_type
  invoke_mode        = var.function_url.invoke_mode

  dynamic "cors" {
    for_each = try(var.function_url.cors, null) == null ? [] : [var.function_url.cors]
    content {
      allow_origins     = cors.value.allow_origins
      allow_methods     = cors.value.allow_methods
      allow_headers     = cors.value.allow_headers
      expose_headers    = cors.value.expose_headers
      allow_credentials = cors.value.allow_credentials
      max_age           = cors.value.max_age
    }
  }
}

# With authorization_type NONE the aws_lambda_function_url resource itself adds the statement
# FunctionURLAllowPublicAccess (lambda:InvokeFunctionUrl, condition lambda:FunctionUrlAuthType = NONE)
# when it creates the URL, so the module adds no second copy of it.
#
# Function URLs created since October 2025 also need lambda:InvokeFunction. AWS can limit that grant to
# URL calls (condition lambda:InvokedViaFunctionUrl), but hashicorp/aws 5.x cannot express it: the
# argument invoked_via_function_url arrived in provider 6.29.0, and from 6.x the URL resource adds the
# scoped statement itself. Under ~> 5.100 the grant is unconditional. Blast radius: anyone can call
# Invoke on the function directly, bypassing the URL. The handler still authenticates every event (a
# direct invoke without a valid HMAC signature is rejected), so the exposure is cost and concurrency:
# each call runs the function once. reserved_concurrency caps that; unreserved, such calls draw on the
# account's shared pool and can throttle the account's other functions.
resource "aws_lambda_permission" "url_public_invoke" {
  #checkov:skip=CKV_AWS_301:Required since October 2025 for Function URLs with auth NONE; provider 5.x cannot add the lambda:InvokedViaFunctionUrl condition (6.29.0 can). Direct invokes still need a valid HMAC signature; reserved_concurrency bounds the cost.
  count         = try(var.function_url.authorization_type == "NONE" && var.function_url.grant_invoke_function, false) ? 1 : 0
  statement_id  = "FunctionUrlAllowInvokeFunction"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = local.qualifier
  principal     = "*"
}

variable "module_audit_module_function_aws_lambda_function_this_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "module_audit_module_function_aws_lambda_function_this" {
  statement {
    sid       = "Logs8CBD6468"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-prod-audit:*"]
  }

  statement {
    sid    = "LogsB7E4F597"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-prod-audit:log-stream:*"]
  }

  statement {
    sid       = "S31421E408"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${aws_s3_bucket.audit.bucket}/audit/*.json"]
  }

  statement {
    sid    = "SqsA43D5CAA"
    effect = "Allow"

    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]

    resources = ["arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.audit.name}"]
  }
}

resource "aws_iam_role_policy" "module_audit_module_function_aws_lambda_function_this" {
  name   = "module.audit.module.function.aws_lambda_function.this"
  role   = var.module_audit_module_function_aws_lambda_function_this_role_name
  policy = data.aws_iam_policy_document.module_audit_module_function_aws_lambda_function_this.json
}

data "aws_iam_policy_document" "module_orders_api_aws_lambda_function_this" {
  statement {
    sid    = "DynamodbADFB6F79"
    effect = "Allow"

    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
    ]

    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.orders.name}"]
  }

  statement {
    sid       = "LambdaF2DD0483"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:shop-prod-audit"]
  }

  statement {
    sid       = "Logs94B791E3"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-prod-orders-api:*"]
  }

  statement {
    sid    = "Logs9B475A8C"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-prod-orders-api:log-stream:*"]
  }

  statement {
    sid       = "Sqs75AF9E4F"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.audit.name}"]
  }

  statement {
    sid    = "XrayF54D0E69"
    effect = "Allow"

    actions = [
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]

    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "module_orders_api_aws_lambda_function_this" {
  name   = "module.orders_api.aws_lambda_function.this"
  role   = module.orders_api.role_name
  policy = data.aws_iam_policy_document.module_orders_api_aws_lambda_function_this.json
}

variable "OrdersFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "NotifyFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "OrdersFunction" {
  statement {
    sid       = "DynamodbDB8C5A6E"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders"]
  }

  statement {
    sid       = "Logs6E0A5BBD"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-OrdersFunction-*:*"]
  }

  statement {
    sid    = "LogsC269943A"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-OrdersFunction-*:log-stream:*"]
  }

  statement {
    sid       = "SnsF02B603E"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:aws:sns:us-east-1:123456789012:shop-order-events"]
  }
}

resource "aws_iam_role_policy" "OrdersFunction" {
  name   = "OrdersFunction"
  role   = var.OrdersFunction_role_name
  policy = data.aws_iam_policy_document.OrdersFunction.json
}

data "aws_iam_policy_document" "NotifyFunction" {
  statement {
    sid       = "Logs11F70729"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-NotifyFunction-*:*"]
  }

  statement {
    sid    = "Logs4E1A1DCD"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-NotifyFunction-*:log-stream:*"]
  }

  statement {
    sid       = "SesA714241B"
    effect    = "Allow"
    actions   = ["ses:SendEmail"]
    resources = ["arn:aws:ses:us-east-1:123456789012:identity/orders@shop.example.com"]
  }
}

resource "aws_iam_role_policy" "NotifyFunction" {
  name   = "NotifyFunction"
  role   = var.NotifyFunction_role_name
  policy = data.aws_iam_policy_document.NotifyFunction.json
}

variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "charge" {
  statement {
    sid    = "Dynamodb2C464C5B"
    effect = "Allow"

    actions = [
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]

    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/payments-prod-ledger"]
  }

  statement {
    sid       = "Logs4147EB85"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/payments-prod-charge:*"]
  }

  statement {
    sid    = "LogsE7D58EDC"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/payments-prod-charge:log-stream:*"]
  }

  statement {
    sid       = "SecretsmanagerAE4F7FB1"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/stripe-??????"]
  }

  statement {
    sid    = "Sqs5BBAB53C"
    effect = "Allow"

    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]

    resources = ["arn:aws:sqs:us-east-1:123456789012:payments-prod-charges"]
  }
}

resource "aws_iam_role_policy" "charge" {
  name   = "charge"
  role   = var.policygen_role_name
  policy = data.aws_iam_policy_document.charge.json
}

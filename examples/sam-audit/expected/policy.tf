variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "AuditFunction" {
  statement {
    sid       = "Dynamodb43E79FEC"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/audit-events"]
  }

  statement {
    sid       = "Logs12DC2BCE"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/audit-AuditFunction-*:*"]
  }

  statement {
    sid    = "Logs4288D720"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/audit-AuditFunction-*:log-stream:*"]
  }

  statement {
    sid       = "S37510691E"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::audit-archive-123456789012/raw/*.json"]
  }
}

resource "aws_iam_role_policy" "AuditFunction" {
  name   = "AuditFunction"
  role   = var.policygen_role_name
  policy = data.aws_iam_policy_document.AuditFunction.json
}

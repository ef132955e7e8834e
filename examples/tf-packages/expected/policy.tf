variable "aws_lambda_function_exporter_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "aws_lambda_function_heartbeat_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "aws_lambda_function_rotate_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "aws_lambda_function_exporter" {
  statement {
    sid       = "Logs770F5FD7"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.exporter.function_name}:*"]
  }

  statement {
    sid    = "Logs2064C056"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.exporter.function_name}:log-stream:*"]
  }

  statement {
    sid       = "S32B190EE2"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${aws_s3_bucket.artifacts.bucket}/*.json"]
  }

  statement {
    sid       = "Ssm46632B10"
    effect    = "Allow"
    actions   = ["ssm:GetParameter"]
    resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/ops/prod/export-prefix"]
  }
}

resource "aws_iam_role_policy" "aws_lambda_function_exporter" {
  name   = "aws_lambda_function.exporter"
  role   = var.aws_lambda_function_exporter_role_name
  policy = data.aws_iam_policy_document.aws_lambda_function_exporter.json
}

data "aws_iam_policy_document" "aws_lambda_function_heartbeat" {
  statement {
    sid       = "Logs3D167136"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.heartbeat.function_name}:*"]
  }

  statement {
    sid    = "LogsEF95FDE9"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.heartbeat.function_name}:log-stream:*"]
  }

  statement {
    sid       = "Sns4C017B40"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:aws:sns:us-east-1:123456789012:${aws_sns_topic.alerts.name}"]
  }
}

resource "aws_iam_role_policy" "aws_lambda_function_heartbeat" {
  name   = "aws_lambda_function.heartbeat"
  role   = var.aws_lambda_function_heartbeat_role_name
  policy = data.aws_iam_policy_document.aws_lambda_function_heartbeat.json
}

data "aws_iam_policy_document" "aws_lambda_function_rotate" {
  statement {
    sid       = "LogsB3166E5B"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.rotate.function_name}:*"]
  }

  statement {
    sid    = "Logs6A2121B5"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.rotate.function_name}:log-stream:*"]
  }

  statement {
    sid    = "Secretsmanager6B68C531"
    effect = "Allow"

    actions = [
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
    ]

    resources = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/prod/db-??????"]
  }
}

resource "aws_iam_role_policy" "aws_lambda_function_rotate" {
  name   = "aws_lambda_function.rotate"
  role   = var.aws_lambda_function_rotate_role_name
  policy = data.aws_iam_policy_document.aws_lambda_function_rotate.json
}

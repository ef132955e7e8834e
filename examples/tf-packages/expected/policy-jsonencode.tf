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

resource "aws_iam_role_policy" "aws_lambda_function_exporter" {
  name = "aws_lambda_function.exporter"
  role = var.aws_lambda_function_exporter_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Logs770F5FD7"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.exporter.function_name}:*",
        ]
      },
      {
        Sid    = "Logs2064C056"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.exporter.function_name}:log-stream:*",
        ]
      },
      {
        Sid    = "S32B190EE2"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.artifacts.bucket}/*.json",
        ]
      },
      {
        Sid    = "Ssm46632B10"
        Effect = "Allow"

        Action = [
          "ssm:GetParameter",
        ]

        Resource = [
          "arn:aws:ssm:us-east-1:123456789012:parameter/ops/prod/export-prefix",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "aws_lambda_function_heartbeat" {
  name = "aws_lambda_function.heartbeat"
  role = var.aws_lambda_function_heartbeat_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Logs3D167136"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.heartbeat.function_name}:*",
        ]
      },
      {
        Sid    = "LogsEF95FDE9"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.heartbeat.function_name}:log-stream:*",
        ]
      },
      {
        Sid    = "Sns4C017B40"
        Effect = "Allow"

        Action = [
          "sns:Publish",
        ]

        Resource = [
          "arn:aws:sns:us-east-1:123456789012:${aws_sns_topic.alerts.name}",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "aws_lambda_function_rotate" {
  name = "aws_lambda_function.rotate"
  role = var.aws_lambda_function_rotate_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "LogsB3166E5B"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.rotate.function_name}:*",
        ]
      },
      {
        Sid    = "Logs6A2121B5"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.rotate.function_name}:log-stream:*",
        ]
      },
      {
        Sid    = "Secretsmanager6B68C531"
        Effect = "Allow"

        Action = [
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
        ]

        Resource = [
          "arn:aws:secretsmanager:us-east-1:123456789012:secret:ops/prod/db-??????",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "module_cleanup" {
  name = "module.cleanup"
  role = module.cleanup.lambda_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "LogsD015D879"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-cleanup:*",
        ]
      },
      {
        Sid    = "Logs8CEC54CD"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-cleanup:log-stream:*",
        ]
      },
      {
        Sid    = "S3730EF411"
        Effect = "Allow"

        Action = [
          "s3:DeleteObject",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.reports.bucket}/*",
        ]
      },
      {
        Sid    = "S37A761629"
        Effect = "Allow"

        Action = [
          "s3:ListBucket",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.reports.bucket}",
        ]
      },
      {
        Sid    = "SqsE0FD7FD1"
        Effect = "Allow"

        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.cleanup.name}",
        ]
      },
      {
        Sid    = "SqsA5481B26"
        Effect = "Allow"

        Action = [
          "sqs:SendMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.cleanup_dlq.name}",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "module_lambda__ingest" {
  name = "module.lambda--ingest"
  role = module.lambda["ingest"].lambda_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbE5DAFA87"
        Effect = "Allow"

        Action = [
          "dynamodb:PutItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.runs.name}",
        ]
      },
      {
        Sid    = "LogsC3DF1D25"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-ingest:*",
        ]
      },
      {
        Sid    = "Logs06B7D790"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-ingest:log-stream:*",
        ]
      },
      {
        Sid    = "S3106A730B"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.reports.bucket}/incoming/*.csv",
        ]
      },
      {
        Sid    = "XrayF54D0E69"
        Effect = "Allow"

        Action = [
          "xray:PutTelemetryRecords",
          "xray:PutTraceSegments",
        ]

        Resource = [
          "*",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "module_lambda__report" {
  name = "module.lambda--report"
  role = module.lambda["report"].lambda_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "LogsE00DC3F5"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-report:*",
        ]
      },
      {
        Sid    = "Logs59A6E5FB"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-report:log-stream:*",
        ]
      },
      {
        Sid    = "S3605C1F95"
        Effect = "Allow"

        Action = [
          "s3:GetObject",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.reports.bucket}/incoming/*.csv",
        ]
      },
      {
        Sid    = "S3BFFEAB29"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.reports.bucket}/reports/*.txt",
        ]
      },
      {
        Sid    = "XrayF54D0E69"
        Effect = "Allow"

        Action = [
          "xray:PutTelemetryRecords",
          "xray:PutTraceSegments",
        ]

        Resource = [
          "*",
        ]
      },
    ]
  })
}

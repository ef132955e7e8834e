resource "aws_iam_role_policy" "aws_lambda_function_thumbnailer" {
  name = "aws_lambda_function.thumbnailer"
  role = aws_iam_role.thumbnailer.name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Dynamodb0DB14DCD"
        Effect = "Allow"

        Action = [
          "dynamodb:UpdateItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.index.name}",
        ]
      },
      {
        Sid    = "LogsC46EBE7A"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.thumbnailer.function_name}:*",
        ]
      },
      {
        Sid    = "Logs35934805"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.thumbnailer.function_name}:log-stream:*",
        ]
      },
      {
        Sid    = "S37E333327"
        Effect = "Allow"

        Action = [
          "s3:AbortMultipartUpload",
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.images.bucket}/thumbnails/*",
        ]
      },
      {
        Sid    = "S3C028616E"
        Effect = "Allow"

        Action = [
          "s3:GetObject",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.images.bucket}/originals/*",
        ]
      },
      {
        Sid    = "Sqs55C60CE0"
        Effect = "Allow"

        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.jobs.name}",
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

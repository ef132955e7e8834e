variable "ThumbnailFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "IngestFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "NotifyFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "ThumbnailFunction" {
  name = "ThumbnailFunction"
  role = var.ThumbnailFunction_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "LogsC99F8663"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-ThumbnailFunction-*:*",
        ]
      },
      {
        Sid    = "LogsC8CCBBD4"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-ThumbnailFunction-*:log-stream:*",
        ]
      },
      {
        Sid    = "S370B46353"
        Effect = "Allow"

        Action = [
          "s3:GetObject",
        ]

        Resource = [
          "arn:aws:s3:::media-uploads-123456789012/uploads/*",
        ]
      },
      {
        Sid    = "S3AE9DE096"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::media-uploads-123456789012/thumbnails/*",
        ]
      },
      {
        Sid    = "SqsD8A0E623"
        Effect = "Allow"

        Action = [
          "sqs:SendMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:media-thumbnails-done",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "IngestFunction" {
  name = "IngestFunction"
  role = var.IngestFunction_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbD16A5E9D"
        Effect = "Allow"

        Action = [
          "dynamodb:UpdateItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/media-clicks",
        ]
      },
      {
        Sid    = "Kinesis359069D8"
        Effect = "Allow"

        Action = [
          "kinesis:DescribeStream",
          "kinesis:DescribeStreamSummary",
          "kinesis:GetRecords",
          "kinesis:GetShardIterator",
          "kinesis:ListShards",
        ]

        Resource = [
          "arn:aws:kinesis:us-east-1:123456789012:stream/media-clicks",
        ]
      },
      {
        Sid    = "Kinesis88B631FB"
        Effect = "Allow"

        Action = [
          "kinesis:ListStreams",
        ]

        Resource = [
          "*",
        ]
      },
      {
        Sid    = "Lambda622C0CB0"
        Effect = "Allow"

        Action = [
          "lambda:InvokeFunction",
        ]

        Resource = [
          "arn:aws:lambda:us-east-1:123456789012:function:media-ThumbnailFunction-*:live",
        ]
      },
      {
        Sid    = "Logs500E358E"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-IngestFunction-*:*",
        ]
      },
      {
        Sid    = "Logs02DB909A"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-IngestFunction-*:log-stream:*",
        ]
      },
      {
        Sid    = "SnsCEA5DE45"
        Effect = "Allow"

        Action = [
          "sns:Publish",
        ]

        Resource = [
          "arn:aws:sns:us-east-1:123456789012:media-alerts",
        ]
      },
      {
        Sid    = "Sqs968D0696"
        Effect = "Allow"

        Action = [
          "sqs:SendMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:media-ingest-failures",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "NotifyFunction" {
  name = "NotifyFunction"
  role = var.NotifyFunction_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Logs6B413025"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-NotifyFunction-*:*",
        ]
      },
      {
        Sid    = "Logs022D06A9"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-NotifyFunction-*:log-stream:*",
        ]
      },
      {
        Sid    = "SnsCEA5DE45"
        Effect = "Allow"

        Action = [
          "sns:Publish",
        ]

        Resource = [
          "arn:aws:sns:us-east-1:123456789012:media-alerts",
        ]
      },
    ]
  })
}

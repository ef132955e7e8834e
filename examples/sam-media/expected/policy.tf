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

data "aws_iam_policy_document" "ThumbnailFunction" {
  statement {
    sid       = "LogsC99F8663"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-ThumbnailFunction-*:*"]
  }

  statement {
    sid    = "LogsC8CCBBD4"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-ThumbnailFunction-*:log-stream:*"]
  }

  statement {
    sid       = "S370B46353"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::media-uploads-123456789012/uploads/*"]
  }

  statement {
    sid       = "S3AE9DE096"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::media-uploads-123456789012/thumbnails/*"]
  }

  statement {
    sid       = "SqsD8A0E623"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:media-thumbnails-done"]
  }
}

resource "aws_iam_role_policy" "ThumbnailFunction" {
  name   = "ThumbnailFunction"
  role   = var.ThumbnailFunction_role_name
  policy = data.aws_iam_policy_document.ThumbnailFunction.json
}

data "aws_iam_policy_document" "IngestFunction" {
  statement {
    sid       = "DynamodbD16A5E9D"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/media-clicks"]
  }

  statement {
    sid    = "Kinesis359069D8"
    effect = "Allow"

    actions = [
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
    ]

    resources = ["arn:aws:kinesis:us-east-1:123456789012:stream/media-clicks"]
  }

  statement {
    sid       = "Kinesis88B631FB"
    effect    = "Allow"
    actions   = ["kinesis:ListStreams"]
    resources = ["*"]
  }

  statement {
    sid       = "Lambda622C0CB0"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:media-ThumbnailFunction-*:live"]
  }

  statement {
    sid       = "Logs500E358E"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-IngestFunction-*:*"]
  }

  statement {
    sid    = "Logs02DB909A"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-IngestFunction-*:log-stream:*"]
  }

  statement {
    sid       = "SnsCEA5DE45"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:aws:sns:us-east-1:123456789012:media-alerts"]
  }

  statement {
    sid       = "Sqs968D0696"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:media-ingest-failures"]
  }
}

resource "aws_iam_role_policy" "IngestFunction" {
  name   = "IngestFunction"
  role   = var.IngestFunction_role_name
  policy = data.aws_iam_policy_document.IngestFunction.json
}

data "aws_iam_policy_document" "NotifyFunction" {
  statement {
    sid       = "Logs6B413025"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-NotifyFunction-*:*"]
  }

  statement {
    sid    = "Logs022D06A9"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/media-NotifyFunction-*:log-stream:*"]
  }

  statement {
    sid       = "SnsCEA5DE45"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:aws:sns:us-east-1:123456789012:media-alerts"]
  }
}

resource "aws_iam_role_policy" "NotifyFunction" {
  name   = "NotifyFunction"
  role   = var.NotifyFunction_role_name
  policy = data.aws_iam_policy_document.NotifyFunction.json
}

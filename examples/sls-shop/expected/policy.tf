variable "api_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "thumbnail_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "jobsWorker_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "Dynamodb7EE5EDCC"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders-dev"]
  }

  statement {
    sid       = "LogsF9FE0961"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-api:*"]
  }

  statement {
    sid    = "LogsD2300441"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-api:log-stream:*"]
  }

  statement {
    sid       = "SnsA992903E"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:aws:sns:us-east-1:123456789012:shop-audit-dev"]
  }

  statement {
    sid       = "SqsB602294E"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs"]
  }
}

resource "aws_iam_role_policy" "api" {
  name   = "api"
  role   = var.api_role_name
  policy = data.aws_iam_policy_document.api.json
}

data "aws_iam_policy_document" "thumbnail" {
  statement {
    sid       = "LogsE23DAECC"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-thumbnail:*"]
  }

  statement {
    sid    = "Logs5C138D9D"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-thumbnail:log-stream:*"]
  }

  statement {
    sid    = "S3538E32EF"
    effect = "Allow"

    actions = [
      "s3:AbortMultipartUpload",
      "s3:PutObject",
    ]

    resources = ["arn:aws:s3:::shop-uploads-dev/thumbnails/*"]
  }

  statement {
    sid       = "S3F0065D89"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::shop-uploads-dev/incoming/*"]
  }
}

resource "aws_iam_role_policy" "thumbnail" {
  name   = "thumbnail"
  role   = var.thumbnail_role_name
  policy = data.aws_iam_policy_document.thumbnail.json
}

data "aws_iam_policy_document" "jobsWorker" {
  statement {
    sid       = "DynamodbE6755BE4"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders-dev"]
  }

  statement {
    sid       = "LogsED3FC6F1"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-jobsWorker:*"]
  }

  statement {
    sid    = "LogsF489FCD2"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-jobsWorker:log-stream:*"]
  }

  statement {
    sid       = "S3ABF4CDBD"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::shop-archive-123456789012/receipts/*.json"]
  }

  statement {
    sid    = "Sqs73A1AE46"
    effect = "Allow"

    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]

    resources = ["arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs"]
  }
}

resource "aws_iam_role_policy" "jobsWorker" {
  name   = "jobsWorker"
  role   = var.jobsWorker_role_name
  policy = data.aws_iam_policy_document.jobsWorker.json
}

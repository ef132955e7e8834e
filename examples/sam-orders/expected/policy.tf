variable "ApiFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "WorkerFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "ReporterFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "ApiFunction" {
  statement {
    sid       = "Dynamodb7C025F24"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod"]
  }

  statement {
    sid       = "Logs8C4CD88D"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-ApiFunction-*:*"]
  }

  statement {
    sid    = "LogsD31EE817"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-ApiFunction-*:log-stream:*"]
  }

  statement {
    sid       = "Sqs2E88AA5C"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:orders-EventsQueue-*"]
  }

  statement {
    sid    = "XrayF54D0E69"
    effect = "Allow"

    actions = [
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]

    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ApiFunction" {
  name   = "ApiFunction"
  role   = var.ApiFunction_role_name
  policy = data.aws_iam_policy_document.ApiFunction.json
}

data "aws_iam_policy_document" "WorkerFunction" {
  statement {
    sid    = "Dynamodb48734EFA"
    effect = "Allow"

    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
    ]

    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod/stream/*"]
  }

  statement {
    sid    = "DynamodbXray421331DF"
    effect = "Allow"

    actions = [
      "dynamodb:ListStreams",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]

    resources = ["*"]
  }

  statement {
    sid       = "LogsBF26CE3B"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-WorkerFunction-*:*"]
  }

  statement {
    sid    = "LogsF3E4CEE6"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-WorkerFunction-*:log-stream:*"]
  }

  statement {
    sid       = "S3B52008C3"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::acme-order-reports/incoming/*.json"]
  }

  statement {
    sid    = "Sqs5685DF49"
    effect = "Allow"

    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]

    resources = ["arn:aws:sqs:us-east-1:123456789012:orders-EventsQueue-*"]
  }

  statement {
    sid       = "Sqs081FEE74"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:orders-failed-prod"]
  }
}

resource "aws_iam_role_policy" "WorkerFunction" {
  name   = "WorkerFunction"
  role   = var.WorkerFunction_role_name
  policy = data.aws_iam_policy_document.WorkerFunction.json
}

data "aws_iam_policy_document" "ReporterFunction" {
  statement {
    sid       = "DynamodbFFEAC9D6"
    effect    = "Allow"
    actions   = ["dynamodb:Scan"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod"]
  }

  statement {
    sid       = "Logs926AB775"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-ReporterFunction-*:*"]
  }

  statement {
    sid    = "Logs2E86F4F6"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-ReporterFunction-*:log-stream:*"]
  }

  statement {
    sid       = "S339D3E26E"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::acme-order-reports/*"]
  }

  statement {
    sid       = "Sns6705A554"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:aws:sns:us-east-1:123456789012:order-reports-prod"]
  }

  statement {
    sid    = "XrayF54D0E69"
    effect = "Allow"

    actions = [
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]

    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ReporterFunction" {
  name   = "ReporterFunction"
  role   = var.ReporterFunction_role_name
  policy = data.aws_iam_policy_document.ReporterFunction.json
}

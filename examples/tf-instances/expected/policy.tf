data "aws_iam_policy_document" "aws_lambda_function_compactor_0" {
  statement {
    sid    = "DynamodbE3BF4F4C"
    effect = "Allow"

    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:Scan",
    ]

    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/usage-prod-shard-0"]
  }

  statement {
    sid       = "Logs0425D4AF"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/compactor-0-prod:*"]
  }

  statement {
    sid    = "LogsA71EDA39"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/compactor-0-prod:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "aws_lambda_function_compactor_0" {
  name   = "aws_lambda_function.compactor-0"
  role   = aws_iam_role.compactor.name
  policy = data.aws_iam_policy_document.aws_lambda_function_compactor_0.json
}

data "aws_iam_policy_document" "aws_lambda_function_compactor_1" {
  statement {
    sid    = "Dynamodb2F4AF279"
    effect = "Allow"

    actions = [
      "dynamodb:DeleteItem",
      "dynamodb:Scan",
    ]

    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/usage-prod-shard-1"]
  }

  statement {
    sid       = "Logs3DA96994"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/compactor-1-prod:*"]
  }

  statement {
    sid    = "Logs927BC247"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/compactor-1-prod:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "aws_lambda_function_compactor_1" {
  name   = "aws_lambda_function.compactor-1"
  role   = aws_iam_role.compactor.name
  policy = data.aws_iam_policy_document.aws_lambda_function_compactor_1.json
}

data "aws_iam_policy_document" "aws_lambda_function_meter__acme" {
  statement {
    sid       = "DynamodbD1492F48"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.usage.name}"]
  }

  statement {
    sid       = "Logs089EC332"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/meter-acme-prod:*"]
  }

  statement {
    sid    = "Logs96D520F5"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/meter-acme-prod:log-stream:*"]
  }

  statement {
    sid    = "Sqs28A7C12B"
    effect = "Allow"

    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]

    resources = ["arn:aws:sqs:us-east-1:123456789012:usage-acme-prod"]
  }
}

resource "aws_iam_role_policy" "aws_lambda_function_meter__acme" {
  name   = "aws_lambda_function.meter--acme"
  role   = aws_iam_role.meter["acme"].name
  policy = data.aws_iam_policy_document.aws_lambda_function_meter__acme.json
}

data "aws_iam_policy_document" "aws_lambda_function_meter__globex" {
  statement {
    sid       = "DynamodbD1492F48"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.usage.name}"]
  }

  statement {
    sid       = "Logs1A905D04"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/meter-globex-prod:*"]
  }

  statement {
    sid    = "Logs6C4AEBB9"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/meter-globex-prod:log-stream:*"]
  }

  statement {
    sid    = "SqsD17A0551"
    effect = "Allow"

    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]

    resources = ["arn:aws:sqs:us-east-1:123456789012:usage-globex-prod"]
  }
}

resource "aws_iam_role_policy" "aws_lambda_function_meter__globex" {
  name   = "aws_lambda_function.meter--globex"
  role   = aws_iam_role.meter["globex"].name
  policy = data.aws_iam_policy_document.aws_lambda_function_meter__globex.json
}

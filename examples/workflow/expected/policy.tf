variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "workflow" {
  statement {
    sid       = "Events19E06081"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = ["arn:aws:events:us-east-1:123456789012:event-bus/fulfilment"]
  }

  statement {
    sid       = "Lambda74521CB8"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:fulfilment-worker"]
  }

  statement {
    sid       = "States716CDEB2"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = ["arn:aws:states:us-east-1:123456789012:stateMachine:order-fulfilment"]
  }
}

resource "aws_iam_role_policy" "workflow" {
  name   = "workflow"
  role   = var.policygen_role_name
  policy = data.aws_iam_policy_document.workflow.json
}

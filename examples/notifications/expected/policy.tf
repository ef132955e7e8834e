variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "notifications" {
  statement {
    sid       = "EventsA991343A"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = ["arn:aws:events:us-east-1:123456789012:event-bus/customer-events"]
  }

  statement {
    sid       = "SesFB24B7EF"
    effect    = "Allow"
    actions   = ["ses:SendEmail"]
    resources = ["arn:aws:ses:us-east-1:123456789012:identity/noreply@example.com"]
  }

  statement {
    sid       = "Sns8A888A47"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:aws:sns:us-east-1:123456789012:customer-alerts"]
  }
}

resource "aws_iam_role_policy" "notifications" {
  name   = "notifications"
  role   = var.policygen_role_name
  policy = data.aws_iam_policy_document.notifications.json
}

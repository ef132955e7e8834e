variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "notifications" {
  name = "notifications"
  role = var.policygen_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "EventsA991343A"
        Effect = "Allow"

        Action = [
          "events:PutEvents",
        ]

        Resource = [
          "arn:aws:events:us-east-1:123456789012:event-bus/customer-events",
        ]
      },
      {
        Sid    = "SesFB24B7EF"
        Effect = "Allow"

        Action = [
          "ses:SendEmail",
        ]

        Resource = [
          "arn:aws:ses:us-east-1:123456789012:identity/noreply@example.com",
        ]
      },
      {
        Sid    = "Sns8A888A47"
        Effect = "Allow"

        Action = [
          "sns:Publish",
        ]

        Resource = [
          "arn:aws:sns:us-east-1:123456789012:customer-alerts",
        ]
      },
    ]
  })
}

variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "workflow" {
  name = "workflow"
  role = var.policygen_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Events19E06081"
        Effect = "Allow"

        Action = [
          "events:PutEvents",
        ]

        Resource = [
          "arn:aws:events:us-east-1:123456789012:event-bus/fulfilment",
        ]
      },
      {
        Sid    = "Lambda74521CB8"
        Effect = "Allow"

        Action = [
          "lambda:InvokeFunction",
        ]

        Resource = [
          "arn:aws:lambda:us-east-1:123456789012:function:fulfilment-worker",
        ]
      },
      {
        Sid    = "States716CDEB2"
        Effect = "Allow"

        Action = [
          "states:StartExecution",
        ]

        Resource = [
          "arn:aws:states:us-east-1:123456789012:stateMachine:order-fulfilment",
        ]
      },
    ]
  })
}

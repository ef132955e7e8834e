variable "name" {
  type = string
}

variable "code_dir" {
  type = string
}

variable "handler" {
  type = string
}

variable "queue_arn" {
  type = string
}

variable "queue_name" {
  type = string
}

variable "environment" {
  type    = map(string)
  default = {}
}

module "function" {
  source = "../python-function"

  name     = var.name
  code_dir = var.code_dir
  handler  = var.handler
  environment = merge(var.environment, {
    QUEUE_NAME = var.queue_name
  })
}

resource "aws_lambda_event_source_mapping" "queue" {
  event_source_arn = var.queue_arn
  function_name    = module.function.function_arn
  batch_size       = 10
}

output "function_name" {
  value = module.function.function_name
}

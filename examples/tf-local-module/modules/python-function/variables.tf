variable "name" {
  type = string
}

variable "code_dir" {
  type = string
}

variable "handler" {
  type    = string
  default = "handler.handler"
}

variable "runtime" {
  type    = string
  default = "python3.12"
}

variable "environment" {
  type    = map(string)
  default = {}
}

variable "tracing" {
  type    = bool
  default = false
}

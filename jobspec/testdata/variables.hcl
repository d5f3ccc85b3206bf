variable "image_tag" {
  type        = string
  description = "tag to run"
}

variable "replicas" {
  type    = number
  default = 3
}

variable "dcs" {
  type    = list(string)
  default = ["dc1"]
}

variable "labels" {
  type    = map(string)
  default = {}
}

locals {
  # Defined before the local it uses, to show order does not matter.
  full_name = "${local.prefix}-${var.image_tag}"
  prefix    = upper("app")
}

job "vars" {
  datacenters = var.dcs

  meta = var.labels

  group "g" {
    count = var.replicas

    task "t" {
      driver = "raw_exec"

      config {
        command = "/bin/echo"
        args    = [local.full_name, "${var.image_tag}:${NOMAD_ALLOC_INDEX}", join(",", var.dcs)]
      }
    }
  }
}

variable "region" {
  default = "eu"
}

locals {
  name = "web-${var.regoin}"
}

job "web" {
  region = local.nmae

  group "web" {
    task "server" {
      driver = "raw_exec"
      config {
        command = var.cmd
        args    = [upper(attr.kernel.name)]
      }
    }
  }
}

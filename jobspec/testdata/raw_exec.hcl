# A typical Nomad raw_exec service: a shell loop that logs every few
# seconds, with the usual group and task blocks filled in.
job "example" {
  datacenters = ["dc1"]
  type        = "service"

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  group "cache" {
    count = 2

    network {
      port "http" {}
      port "admin" {
        static = 8080
      }
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "25s"
      mode     = "delay"
    }

    ephemeral_disk {
      size = 150
    }

    task "loop" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do echo \"alloc ${NOMAD_ALLOC_ID} on port ${NOMAD_PORT_http}\"; sleep 5; done"]
      }

      env {
        GREETING = "hello"
        NODE     = "${node.unique.name}"
      }

      resources {
        cpu    = 200
        memory = 128
      }

      logs {
        max_files     = 3
        max_file_size = 5
      }

      kill_timeout = "20s"
    }
  }
}

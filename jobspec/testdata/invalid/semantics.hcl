job "my job" {
  type     = "daemon"
  priority = 101

  group "web" {
    count = -1

    network {
      port "http" {
        static = 70000
      }
      port "http" {}
    }

    restart {
      attempts = -1
      mode     = "retry"
    }

    task "server" {
      resources {
        cpu        = 0
        memory     = 256
        memory_max = 128
      }

      constraint {
        attribute = "${attr.kernel.name}"
        operator  = "~="
        value     = "linux"
      }
    }

    task "server" {
      driver = "raw_exec"
    }
  }

  group "web" {
    task "other" {
      driver = "raw_exec"
    }
  }
}

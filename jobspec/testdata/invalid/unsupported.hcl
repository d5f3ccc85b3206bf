job "web" {
  consul {
    namespace = "web"
  }

  group "web" {
    consul {
      name = "web"
      check {
        type = "http"
      }
    }

    vault {
      policies = ["web"]
      env      = true
    }

    task "server" {
      driver = "raw_exec"

      identity {
        data        = "x"
        destination = "local/x"
      }
    }
  }
}

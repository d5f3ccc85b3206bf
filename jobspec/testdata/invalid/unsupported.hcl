job "web" {
  consul {
    namespace = "web"
  }

  group "web" {
    service {
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

      template {
        data        = "x"
        destination = "local/x"
      }
    }
  }
}

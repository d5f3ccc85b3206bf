job "web" {
  update {
    max_parallel = 1
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

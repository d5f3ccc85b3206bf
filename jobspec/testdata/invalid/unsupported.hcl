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

    volume "data" {
      type   = "host"
      source = "data"
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

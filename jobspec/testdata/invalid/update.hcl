job "web" {
  update {
    max_parallel     = 5
    min_healthy_time = "10m"
  }

  group "web" {
    count = 2

    update {
      canary       = -1
      max_surge    = -1
      health_check = "http"
      stagger      = "0s"
    }

    task "server" {
      driver = "raw_exec"
    }
  }

  group "surge" {
    count = 3

    update {
      canary    = 1
      max_surge = 1
    }

    update {}

    task "server" {
      driver = "raw_exec"
    }
  }
}

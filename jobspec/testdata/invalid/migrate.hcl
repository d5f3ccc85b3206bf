job "web" {
  group "web" {
    migrate {
      max_parallel     = 0
      health_check     = "http"
      min_healthy_time = "10 seconds"
      healthy_deadline = "-5m"
    }

    migrate {}

    task "server" {
      driver = "raw_exec"
    }
  }
}

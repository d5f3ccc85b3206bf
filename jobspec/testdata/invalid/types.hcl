job "web" {
  priority    = "high"
  all_at_once = "maybe"
  datacenters = { a = 1 }

  group "web" {
    count = "three"

    restart {
      delay = "5 seconds"
    }

    task "server" {
      driver       = "raw_exec"
      kill_timeout = true

      resources {
        memory = 1.5
      }
    }
  }
}

job "web" {
  group "web" {
    count = 5
    scaling {
      min = 4
      max = 3
      policy {
        evaluation_interval = "0s"
        check "cpu" {
          source = "graphite"
          query  = "x"
          strategy "target-value" {
            target = 0
          }
        }
        check "mem" {
          query = "avg_memory"
          strategy "pid" {
            target = 50
          }
        }
        scale_up {
          allocations = 2
        }
      }
    }
    task "app" {
      driver = "raw_exec"
    }
  }
  group "nomax" {
    scaling {
      min = 1
    }
    task "app" {
      driver = "raw_exec"
    }
  }
}

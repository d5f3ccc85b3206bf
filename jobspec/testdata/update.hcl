# A rolling update at the job level, a canary group that overrides part
# of it, and a group that surges instead of going below its count.
job "web" {
  update {
    max_parallel      = 2
    health_check      = "task_states"
    min_healthy_time  = "15s"
    healthy_deadline  = "3m"
    progress_deadline = "8m"
    auto_revert       = true
    stagger           = "20s"
  }

  group "canary" {
    count = 4

    update {
      canary       = 1
      auto_promote = true
      health_check = "manual"
    }

    task "server" {
      driver = "raw_exec"
    }
  }

  group "surge" {
    count = 3

    update {
      max_parallel = 0
      max_surge    = 1
    }

    task "server" {
      driver = "raw_exec"
    }
  }
}

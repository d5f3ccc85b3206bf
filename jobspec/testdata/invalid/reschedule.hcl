job "work" {
  type = "batch"
  reschedule {
    delay_function = "linear"
  }
  group "g" {
    completions = 0
    parallelism = 2
    count       = 3
    reschedule {
      attempts  = 2
      unlimited = true
      delay     = "1s"
      delay_function = "exponential"
      max_delay = "500ms"
    }
    task "t" {
      driver = "raw_exec"
    }
  }
}

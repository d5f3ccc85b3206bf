job "svc" {
  group "g" {
    completions = 5
    task "t" {
      driver = "raw_exec"
    }
  }
  group "h" {
    parallelism = 0
    task "t" {
      driver = "raw_exec"
    }
  }
}

job "web" {
  group "web" {
    coun = 3

    task "server" {
      driver = "raw_exec"
      resource {
        cpu = 100
      }
    }
  }
}

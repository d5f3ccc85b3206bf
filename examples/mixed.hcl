# One group, three drivers: a container, an isolated binary and a raw host
# process, placed together on one node. The docker task's image is built
# locally first: `make example-image`.
job "mixed" {
  datacenters = ["*"]

  group "app" {
    network {
      port "http" {
        to = 8080
      }
    }

    task "web" {
      driver = "docker"
      config {
        image = "orch-example/hello:local"
        ports = ["http"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }

    task "worker" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do echo \"worker $(id -un) on $(hostname)\"; sleep 2; done"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }

    task "probe" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do echo \"probe sees web at $NOMAD_ADDR_http\"; sleep 2; done"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}

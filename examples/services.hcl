# Three instances of an HTTP server registered in orch's service catalog
# with a health check, and a proxy task whose upstream list is a template
# rendered from the catalog: when an instance is added, removed or turns
# unhealthy, the file is rendered again and the proxy restarted.
#
#   orch job run examples/services.hcl
#   orch service info web
job "shop" {
  datacenters = ["*"]

  group "web" {
    count = 3

    network {
      port "http" {}
    }

    service {
      name = "web"
      port = "http"
      tags = ["v1"]

      check {
        type     = "http"
        path     = "/"
        interval = "5s"
        timeout  = "2s"

        check_restart {
          limit = 3
          grace = "10s"
        }
      }
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "python3"
        args    = ["-m", "http.server", "--bind", "127.0.0.1", "${NOMAD_PORT_http}"]
      }

      resources {
        cpu    = 50
        memory = 64
      }
    }
  }

  group "proxy" {
    task "proxy" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "cat local/upstreams.txt; sleep 3600"]
      }

      template {
        data        = <<EOT
{{ range nomadService "web" }}{{ .Address }}:{{ .Port }}
{{ end }}
EOT
        destination = "local/upstreams.txt"
        change_mode = "restart"
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}

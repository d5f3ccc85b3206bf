job "web" {
  group "web" {
    task "init" {
      driver = "raw_exec"
      lifecycle {
        hook    = "prestop"
        sidecar = "maybe"
      }
      lifecycle {
        hook = "poststart"
      }
      artifact {
        destination = "../../etc"
        mode        = "tree"
        options {
          checksum = "sha256:abcd"
        }
      }
      artifact {
        source = "ftp://example.com/x.tgz"
        options = {
          archive = "false"
        }
      }
      artifact {
        source      = "https://example.com/x"
        destination = "/etc/x"
      }
    }
    task "main" {
      driver = "raw_exec"
      lifecycle {}
    }
  }
}

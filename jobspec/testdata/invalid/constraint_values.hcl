job "web" {
  constraint {
    attribute = "${attr.kernel.name}"
    regexp    = "lin(ux"
  }
  constraint {
    attribute = "${attr.driver.docker.version}"
    version   = ">= one"
  }
  constraint {
    attribute = "${attr.os.version}"
    semver    = "~> 1.2"
  }
  constraint {
    attribute    = "${meta.tags}"
    set_contains = "a,,b"
  }
  constraint {
    attribute = "${meta.tags}"
    operator  = "set_contains_any"
    value     = " , "
  }
  constraint {
    attribute = "${attr.os.version}"
    semver    = ">= ${meta.min}"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
    }
  }
}

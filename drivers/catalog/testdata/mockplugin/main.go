// Command mockplugin is a third-party driver plugin for the catalog's
// tests: drivers/mock's driver served over orch's plugin protocol under
// the name of its executable, so one build can play several plugins (or
// one that wrongly claims a built-in's name).
package main

import (
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/drivers/sdk"
)

type renamed struct {
	*mock.Driver
	name string
}

func (r renamed) PluginInfo() (*sdk.PluginInfo, error) {
	return &sdk.PluginInfo{Name: r.name, Version: "0.0.1"}, nil
}

func main() {
	logger := sdk.PluginLogger("mockplugin", hclog.Debug)
	sdk.Serve(renamed{Driver: mock.New(logger), name: filepath.Base(os.Args[0])}, logger)
}

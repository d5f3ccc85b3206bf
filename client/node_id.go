package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

// loadOrCreateID returns the ID stored in path, creating a random one on
// first start, so the node keeps its identity (and its allocations) across
// agent restarts.
func loadOrCreateID(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(data))
		if _, perr := uuid.Parse(id); perr != nil {
			return "", fmt.Errorf("node identity file %s holds %q, not a UUID: remove it to get a new identity", path, id)
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read node identity: %w", err)
	}
	id := uuid.NewString()
	// Write then rename so a crash never leaves a truncated identity.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write node identity: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write node identity: %w", err)
	}
	return id, nil
}

func loadNodeIdentity(stateDir string) (id, secret string, err error) {
	if id, err = loadOrCreateID(filepath.Join(stateDir, "client-id")); err != nil {
		return "", "", err
	}
	if secret, err = loadOrCreateID(filepath.Join(stateDir, "secret-id")); err != nil {
		return "", "", err
	}
	return id, secret, nil
}

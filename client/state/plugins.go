package state

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The plugin records are stored as the caller hands them over (the
// catalog's ReattachState), so this package need not import every driver.

// PutDriverPlugin stores what it takes to reattach to the driver plugin
// name after an agent restart.
func (db *DB) PutDriverPlugin(name string, v interface{}) error {
	b, err := encode(v)
	if err != nil {
		return fmt.Errorf("client state: encode plugin %q: %w", name, err)
	}
	err = db.batch(func(tx *bolt.Tx) error {
		return tx.Bucket(pluginsBucket).Put([]byte(name), b)
	})
	if err != nil {
		return fmt.Errorf("client state: put plugin %q: %w", name, err)
	}
	return nil
}

// GetDriverPlugin decodes the record of plugin name into out; found is
// false when there is none.
func (db *DB) GetDriverPlugin(name string, out interface{}) (found bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(pluginsBucket).Get([]byte(name))
		if v == nil {
			return nil
		}
		found = true
		return decode(v, out)
	})
	if err != nil {
		return false, fmt.Errorf("client state: get plugin %q: %w", name, err)
	}
	return found, nil
}

// DriverPlugins lists the names of the stored plugin records.
func (db *DB) DriverPlugins() ([]string, error) {
	var names []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(pluginsBucket).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("client state: list plugins: %w", err)
	}
	return names, nil
}

// DeleteDriverPlugin forgets plugin name's record.
func (db *DB) DeleteDriverPlugin(name string) error {
	err := db.batch(func(tx *bolt.Tx) error {
		return tx.Bucket(pluginsBucket).Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("client state: delete plugin %q: %w", name, err)
	}
	return nil
}

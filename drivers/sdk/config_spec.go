package sdk

// ConfigType is the type a driver's config field accepts.
type ConfigType string

const (
	ConfigTypeString     ConfigType = "string"
	ConfigTypeStringList ConfigType = "list(string)"
	ConfigTypeBool       ConfigType = "bool"
	ConfigTypeNumber     ConfigType = "number"
)

// ConfigField describes one key of a driver's task `config` block. Drivers
// export their schema so `job validate` and documentation can use it
// without starting a plugin.
type ConfigField struct {
	Name        string
	Type        ConfigType
	Required    bool
	Description string
}

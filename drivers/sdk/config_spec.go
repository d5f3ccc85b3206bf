package sdk

// ConfigType is the type a driver's config field accepts.
type ConfigType string

const (
	ConfigTypeString     ConfigType = "string"
	ConfigTypeStringList ConfigType = "list(string)"
	ConfigTypeBool       ConfigType = "bool"
	ConfigTypeNumber     ConfigType = "number"
	// ConfigTypeStringMap is a map of strings (`labels = { a = "b" }`).
	ConfigTypeStringMap ConfigType = "map(string)"
	// ConfigTypeBlock is one nested block (`auth { ... }`), described by
	// the field's Fields.
	ConfigTypeBlock ConfigType = "block"
	// ConfigTypeBlockList is a block that may repeat (`mount { ... }`),
	// described by the field's Fields.
	ConfigTypeBlockList ConfigType = "list(block)"
)

// ConfigField describes one key of a driver's task `config` block. Drivers
// export their schema so `job validate` and documentation can use it
// without starting a plugin.
type ConfigField struct {
	Name        string
	Type        ConfigType
	Required    bool
	Description string
	// Fields are the keys of a block field (ConfigTypeBlock and
	// ConfigTypeBlockList); nil for every other type.
	Fields []ConfigField
}

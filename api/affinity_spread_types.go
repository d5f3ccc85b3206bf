package api

// Affinity prefers (positive Weight) or avoids (negative Weight) nodes
// where LTarget Operand RTarget holds, without filtering any.
type Affinity struct {
	LTarget string
	RTarget string
	Operand string
	// Weight is in [-100, 100] and not zero; nil means 50.
	Weight *int8
}

// Spread distributes a group's allocations over the values of a node
// attribute, in the SpreadTarget proportions or evenly when there are none.
type Spread struct {
	Attribute string
	// Weight is in (0, 100]; nil means 50.
	Weight       *int8
	SpreadTarget []*SpreadTarget
}

// SpreadTarget is the percentage of a group's allocations wanted on nodes
// whose attribute is Value.
type SpreadTarget struct {
	Value   string
	Percent uint8
}

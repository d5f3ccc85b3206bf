package api

// PointerOf returns a pointer to a copy of v. The api types use pointers to
// tell "unset" from a zero value, so callers building jobs by hand need this
// for literals such as PointerOf(3) or PointerOf("web").
func PointerOf[T any](v T) *T {
	return &v
}

package exec

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
)

// credential is who a task runs as, resolved on the host before the
// chroot hides the host's user database from the shim.
type credential struct {
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups,omitempty"`
}

func lookupUser(name string) (*credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("%s: user %q not found", Name, name)
		}
		return nil, fmt.Errorf("%s: look up user %q: %w", Name, name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%s: user %q has a non-numeric uid %q", Name, name, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%s: user %q has a non-numeric gid %q", Name, name, u.Gid)
	}
	c := &credential{UID: uint32(uid), GID: uint32(gid)}
	// Supplementary groups are best effort: a user whose groups cannot be
	// listed still runs, with only its primary group.
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil && uint32(n) != c.GID {
				c.Groups = append(c.Groups, uint32(n))
			}
		}
	}
	return c, nil
}

package getter

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// relInside returns p relative to dir, and false when p is not inside
// dir (or is dir's parent).
func relInside(dir, p string) (string, bool) {
	r, err := filepath.Rel(dir, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) || filepath.IsAbs(r) {
		return "", false
	}
	return r, true
}

// entryPath joins an archive entry's name to dest, refusing names that
// are absolute or climb out with ".." (zip-slip).
func entryPath(dest, name string) (string, error) {
	clean := filepath.ToSlash(name)
	if strings.HasPrefix(clean, "/") || filepath.IsAbs(name) {
		return "", fmt.Errorf("archive entry %q has an absolute path", name)
	}
	for _, part := range strings.Split(clean, "/") {
		if part == ".." {
			return "", fmt.Errorf("archive entry %q leaves the destination with \"..\"", name)
		}
	}
	return filepath.Join(dest, filepath.FromSlash(clean)), nil
}

// mkdirInside creates dir and its missing parents, walking down from root
// so that a symlink met on the way is followed only when it stays inside
// root. MkdirAll alone would create directories wherever a planted link
// pointed before any check could run.
func mkdirInside(root, dir string) error {
	rel, ok := relInside(root, dir)
	if !ok {
		return fmt.Errorf("artifact path %q is outside the task directory", dir)
	}
	cur := root
	if rel == "." {
		return nil
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(next, 0o755); err != nil {
				return fmt.Errorf("unpack artifact: %w", err)
			}
		case err != nil:
			return fmt.Errorf("unpack artifact: %w", err)
		case fi.Mode()&fs.ModeSymlink != 0:
			resolved, err := filepath.EvalSymlinks(next)
			if err != nil {
				return fmt.Errorf("unpack artifact: %w", err)
			}
			if _, ok := relInside(root, resolved); !ok {
				return fmt.Errorf("artifact path %q goes through a symlink that leaves the task directory", next)
			}
			next = resolved
		case !fi.IsDir():
			return fmt.Errorf("unpack artifact: %q is a file, not a directory", next)
		}
		cur = next
	}
	return nil
}

// removeIfLink removes a symlink at p so that writing p cannot follow it
// out of the task directory.
func removeIfLink(p string) error {
	fi, err := os.Lstat(p)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("unpack artifact: %w", err)
		}
	}
	return nil
}

// unpacker writes archive entries below dest, keeping every write and
// every link inside root, and counts bytes against a budget so that a
// small archive cannot expand to fill the disk.
type unpacker struct {
	root, dest string
	budget     int64
}

func unpack(kind, archive, root, dest string, maxBytes int64) error {
	if err := mkdirInside(root, dest); err != nil {
		return err
	}
	u := &unpacker{root: root, dest: dest, budget: maxBytes}
	var err error
	switch kind {
	case ".zip":
		err = u.zip(archive)
	default:
		err = u.tar(archive, kind != ".tar")
	}
	if err != nil {
		return fmt.Errorf("unpack artifact: %w", err)
	}
	return nil
}

func (u *unpacker) tar(archive string, gzipped bool) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if gzipped {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("not a gzip archive: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		target, err := entryPath(u.dest, hdr.Name)
		if err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = mkdirInside(u.root, target)
		case tar.TypeReg:
			err = u.writeFile(target, tr, fs.FileMode(hdr.Mode))
		case tar.TypeSymlink:
			err = u.symlink(target, hdr.Linkname)
		case tar.TypeLink:
			err = u.hardlink(target, hdr.Linkname)
		default:
			// Devices, FIFOs and the like have no place in a task's files.
			continue
		}
		if err != nil {
			return err
		}
	}
}

func (u *unpacker) zip(archive string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return fmt.Errorf("not a zip archive: %w", err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		target, err := entryPath(u.dest, zf.Name)
		if err != nil {
			return err
		}
		mode := zf.Mode()
		switch {
		case mode.IsDir():
			err = mkdirInside(u.root, target)
		case mode&fs.ModeSymlink != 0:
			err = u.zipSymlink(zf, target)
		case mode.IsRegular():
			err = u.zipFile(zf, target)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (u *unpacker) zipFile(zf *zip.File, target string) error {
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("read zip entry %q: %w", zf.Name, err)
	}
	defer rc.Close()
	return u.writeFile(target, rc, zf.Mode())
}

func (u *unpacker) zipSymlink(zf *zip.File, target string) error {
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("read zip entry %q: %w", zf.Name, err)
	}
	defer rc.Close()
	link, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return fmt.Errorf("read zip entry %q: %w", zf.Name, err)
	}
	return u.symlink(target, string(link))
}

func (u *unpacker) writeFile(target string, r io.Reader, mode fs.FileMode) error {
	if err := mkdirInside(u.root, filepath.Dir(target)); err != nil {
		return err
	}
	if err := removeIfLink(target); err != nil {
		return err
	}
	// Only permission bits: setuid or sticky bits from an archive must
	// not reach the host.
	f, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode.Perm()|0o400)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, u.budget+1))
	u.budget -= n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %q: %w", target, err)
	}
	if u.budget < 0 {
		return errors.New("archive unpacks to more than the artifact size limit")
	}
	return nil
}

// symlink creates a link whose target, taken from the link's real
// directory, stays inside the task directory. The check is lexical, so a
// chain of links could still reach out; what keeps the host safe is that
// the getter never writes through a link (mkdirInside, removeIfLink).
func (u *unpacker) symlink(target, link string) error {
	if filepath.IsAbs(link) {
		return fmt.Errorf("archive symlink %q points to the absolute path %q", target, link)
	}
	dir := filepath.Dir(target)
	if err := mkdirInside(u.root, dir); err != nil {
		return err
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if _, ok := relInside(u.root, filepath.Join(realDir, link)); !ok {
		return fmt.Errorf("archive symlink %q points to %q, outside the task directory", target, link)
	}
	if err := removeIfLink(target); err != nil {
		return err
	}
	return os.Symlink(link, target)
}

// hardlink links target to an entry unpacked earlier; tar names it
// relative to the archive's root.
func (u *unpacker) hardlink(target, name string) error {
	existing, err := entryPath(u.dest, name)
	if err != nil {
		return err
	}
	resolved, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return fmt.Errorf("archive hard link %q: %w", target, err)
	}
	if _, ok := relInside(u.root, resolved); !ok {
		return fmt.Errorf("archive hard link %q points outside the task directory", target)
	}
	if err := mkdirInside(u.root, filepath.Dir(target)); err != nil {
		return err
	}
	if err := removeIfLink(target); err != nil {
		return err
	}
	return os.Link(resolved, target)
}

package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
)

// maxNameTries bounds the " (n)" numbering of a download's name.
const maxNameTries = 10000

// Download saves the file id into destDir (which must exist) and returns
// the path it wrote. The bytes go to a temporary file in destDir first and
// are renamed when complete, to the file's name from the server made safe
// (SafeFileName) and unique: " (2)", " (3)", ... when taken; an existing
// file is never replaced and nothing is written outside destDir. progress,
// if not nil, is called with the bytes received so far and the total (0
// when unknown). Canceling ctx removes the partial file.
func (c *Client) Download(ctx context.Context, id, destDir string, progress func(done, total int64)) (string, error) {
	const op = "download file"
	if err := checkID(op, id); err != nil {
		return "", err
	}
	dir, err := filepath.Abs(destDir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if st, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	} else if !st.IsDir() {
		return "", fmt.Errorf("%s: %s is not a folder", op, dir)
	}
	meta, err := c.stat(ctx, op, id)
	if err != nil {
		return "", err
	}
	name := SafeFileName(meta.FilenameDownload)
	opName := fmt.Sprintf("download %q", name)

	req, err := c.request(ctx, opName, http.MethodGet, "/assets/"+id, url.Values{"download": {""}}, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.send(opName, req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	total := resp.ContentLength
	if total < 0 {
		total = meta.Filesize.n
	}

	tmp, err := os.CreateTemp(dir, ".directuschat-*.part")
	if err != nil {
		return "", fmt.Errorf("%s: %w", opName, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	counter := &countingReader{r: resp.Body, total: total, progress: progress}
	defer counter.stop()
	n, err := io.Copy(tmp, counter)
	if err != nil {
		if ctx.Err() != nil {
			return "", &Error{Kind: KindCanceled, Op: opName, Msg: "canceled", Err: errCanceled}
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return "", fmt.Errorf("%s: %w", opName, err) // disk full, ...
		}
		return "", transportError(opName, c.base, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", &Error{Kind: KindNetwork, Op: opName, Msg: fmt.Sprintf("the connection broke after %d of %d bytes", n, resp.ContentLength)}
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("%s: %w", opName, err)
	}
	final, err := reserveName(dir, name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", opName, err)
	}
	// Replaces the empty placeholder reserveName made (ours).
	if err := os.Rename(tmp.Name(), final); err != nil {
		_ = os.Remove(final)
		return "", fmt.Errorf("%s: %w", opName, err)
	}
	ok = true
	return final, nil
}

// reserveName creates an empty file named name in dir, or name (2), (3),
// ... when taken, and returns its path. O_EXCL: an existing file, or a
// symbolic link planted there, is never opened.
func reserveName(dir, name string) (string, error) {
	for n := 1; n <= maxNameTries; n++ {
		p := filepath.Join(dir, numbered(name, n))
		if filepath.Dir(p) != dir {
			// SafeFileName makes this impossible; refuse rather than trust it.
			return "", fmt.Errorf("the name %q leaves the folder", name)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := f.Close(); err != nil {
			return "", err
		}
		return p, nil
	}
	return "", fmt.Errorf("%d files named like %q already in %s", maxNameTries, name, dir)
}

package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // decoders DecodeThumbnail accepts
	_ "image/jpeg" // (the server sends PNG; a non-image file comes as is)
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// MaxThumbnailSide is the largest width or height Thumbnail asks for and
// DecodeThumbnail decodes.
const MaxThumbnailSide = 4096

// MaxThumbnailBytes bounds a thumbnail's answer: Directus sends a file it
// cannot transform (not an image, or over its
// ASSETS_TRANSFORM_IMAGE_MAX_DIMENSION) as it is.
const MaxThumbnailBytes = 8 << 20

// ErrNotThumbnail says the bytes are no image DecodeThumbnail decodes.
var ErrNotThumbnail = errors.New("not a decodable thumbnail")

// Thumbnail returns the image file id scaled by the server to fit inside
// w×h (never enlarged), as PNG (transparency kept) — or, for a file the
// server does not transform, its bytes as they are, if not over
// MaxThumbnailBytes: decode with DecodeThumbnail. Answers are kept in the
// disk cache, keyed by server, id and size.
func (c *Client) Thumbnail(ctx context.Context, id string, w, h int) ([]byte, error) {
	const op = "read thumbnail"
	if err := checkID(op, id); err != nil {
		return nil, err
	}
	if w < 1 || h < 1 || w > MaxThumbnailSide || h > MaxThumbnailSide {
		return nil, fmt.Errorf("%s: size %d×%d out of 1..%d", op, w, h, MaxThumbnailSide)
	}
	key := c.cacheKey(id, w, h)
	if c.cache != nil {
		if b, ok := c.cache.get(key); ok {
			return b, nil
		}
	}
	q := url.Values{
		"width": {strconv.Itoa(w)}, "height": {strconv.Itoa(h)},
		"fit": {"inside"}, "withoutEnlargement": {"true"}, "format": {"png"},
	}
	req, err := c.request(ctx, op, http.MethodGet, "/assets/"+id, q, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(op, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > MaxThumbnailBytes {
		return nil, fmt.Errorf("%s: the server sent %s, more than %s", op, FormatSize(resp.ContentLength), FormatSize(MaxThumbnailBytes))
	}
	b, err := readBody(resp, MaxThumbnailBytes+1)
	if err != nil {
		if isContextErr(err) || ctx.Err() != nil {
			return nil, &Error{Kind: KindCanceled, Op: op, Msg: "canceled", Err: errCanceled}
		}
		return nil, transportError(op, c.base, err)
	}
	if len(b) > MaxThumbnailBytes {
		return nil, fmt.Errorf("%s: the server sent more than %s", op, FormatSize(MaxThumbnailBytes))
	}
	if c.cache != nil {
		c.cache.put(key, b)
	}
	return b, nil
}

// cacheKey names a thumbnail in the cache: a hash of the server, the id
// and the size, so no text from the server becomes part of a path.
func (c *Client) cacheKey(id string, w, h int) string {
	sum := sha256.Sum256([]byte("thumb-v1\x00" + c.base.String() + "\x00" + id + "\x00" + strconv.Itoa(w) + "x" + strconv.Itoa(h)))
	return hex.EncodeToString(sum[:])
}

// DecodeThumbnail decodes a PNG, JPEG or GIF of at most
// MaxThumbnailSide×MaxThumbnailSide. It reads the header first and refuses
// a larger image before allocating its pixels: a few kilobytes of PNG can
// claim 100,000×100,000 pixels (40 GB).
func DecodeThumbnail(b []byte) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode thumbnail: %w: %v", ErrNotThumbnail, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxThumbnailSide || cfg.Height > MaxThumbnailSide {
		return nil, fmt.Errorf("decode thumbnail: %w: %s of %d×%d, more than %d×%d", ErrNotThumbnail, format, cfg.Width, cfg.Height, MaxThumbnailSide, MaxThumbnailSide)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode thumbnail: %w: %v", ErrNotThumbnail, err)
	}
	return img, nil
}

// transformMaxSide is Directus's default ASSETS_TRANSFORM_IMAGE_MAX_DIMENSION:
// it sends larger images untransformed.
const transformMaxSide = 6000

// HasThumbnail reports whether Thumbnail gives a decodable image for f:
// the types Directus scales (JPEG, PNG, WebP, TIFF, AVIF) with dimensions
// it read at upload, within its default transform limit (6000 pixels a
// side); and GIFs, which it sends as they are, when small enough for
// DecodeThumbnail. For anything else Thumbnail would return the file
// itself: show an icon instead.
func HasThumbnail(f File) bool {
	if f.Width < 1 || f.Height < 1 {
		return false
	}
	switch mediaType(f.Type) {
	case "image/jpeg", "image/png", "image/webp", "image/tiff", "image/avif":
		return f.Width <= transformMaxSide && f.Height <= transformMaxSide
	case "image/gif":
		return f.Width <= MaxThumbnailSide && f.Height <= MaxThumbnailSide && f.Size <= MaxThumbnailBytes
	}
	return false
}

// readBody reads at most limit bytes of resp's body, into one buffer of
// its Content-Length when it has one, not the chain of ever larger buffers
// io.ReadAll leaves behind (the transport stops a body at its announced
// length).
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n < limit {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

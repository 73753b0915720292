package assets

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"
)

func TestIconsArePNGsOfTheirSize(t *testing.T) {
	for _, tc := range []struct {
		res  fyne.Resource
		size int
	}{
		{AppIcon, 512},
		{TrayOnline, 64},
		{TrayOffline, 64},
		{TrayUnread, 64},
	} {
		img, err := png.Decode(bytes.NewReader(tc.res.Content()))
		if err != nil {
			t.Errorf("%s: %v", tc.res.Name(), err)
			continue
		}
		if got := img.Bounds(); got != image.Rect(0, 0, tc.size, tc.size) {
			t.Errorf("%s: bounds %v, want %dx%d", tc.res.Name(), got, tc.size, tc.size)
		}
		// Transparent corners: the icons are shapes, not squares.
		if _, _, _, a := img.At(0, tc.size-1).RGBA(); a != 0 {
			t.Errorf("%s: bottom-left corner is not transparent (alpha %d)", tc.res.Name(), a)
		}
	}
}

func TestTrayIconsDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, r := range []fyne.Resource{TrayOnline, TrayOffline, TrayUnread} {
		if other, ok := seen[string(r.Content())]; ok {
			t.Errorf("%s has the same pixels as %s", r.Name(), other)
		}
		seen[string(r.Content())] = r.Name()
	}
}

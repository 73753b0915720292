package ui

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// Text in any script is drawn with real glyphs: Fyne's own font covers
// Latin, Greek and Cyrillic, the rest comes from the system's fonts
// (fonts-noto-cjk on Debian, which .ci/run installs). Each text is drawn
// next to as many characters no font has (private use): if it came out
// as the same missing-glyph boxes, the pictures would be the same.
func TestTextInAnyScriptIsDrawn(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("scripts")
	defer w.Close()
	draw := func(s string) image.Image {
		txt := canvas.NewText(s, color.Black)
		txt.TextSize = 24
		w.SetContent(container.NewWithoutLayout(txt))
		w.Resize(fyne.NewSize(400, 60))
		txt.Move(fyne.NewPos(4, 4))
		txt.Resize(txt.MinSize())
		return w.Canvas().Capture()
	}
	for _, s := range []string{"日本語", "中文字", "한국어", "عربي", "👍🎉😂"} {
		n := len([]rune(s))
		missing := string([]rune("\U000F0001\U000F0002\U000F0003\U000F0004\U000F0005")[:n])
		if samePicture(draw(s), draw(missing)) {
			t.Errorf("%q is drawn as missing-glyph boxes: install a font for it (fonts-noto-cjk on Debian)", s)
		}
	}
}

func samePicture(a, b image.Image) bool {
	ra, ok1 := a.(*image.NRGBA)
	rb, ok2 := b.(*image.NRGBA)
	if ok1 && ok2 {
		return bytes.Equal(ra.Pix, rb.Pix)
	}
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// Command icongen draws the app and tray icons of Directus Chat into assets/.
//
//	go run ./scripts/icongen [-out assets] [-preview preview.png]
//
// The icons are plain vector shapes (signed distance functions) rendered
// with 8x8 supersampling, so they come out the same on every machine and
// need no drawing program: change a number here and run `go generate ./assets`.
//
//   - icon.png (512x512): a full-bleed rounded square in the Directus purple
//     with two speech bubbles. Its corner radius matches the mask that
//     `fyne package -os darwin` applies, so macOS shows the same shape.
//   - tray-*.png (64x64): one bubble drawn on a 16-unit grid so that it stays
//     crisp when the panel scales it to 16-24 px. Online is a filled purple
//     bubble with white dots, offline a hollow grey outline (the shape
//     differs, not only the colour), unread the online bubble with a red
//     badge cut out of its corner. The colours have enough contrast against
//     both light and dark panels, so there is one set, not two.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

// sdf is a signed distance field in icon units: negative inside the shape.
type sdf func(x, y float64) float64

// paint is a colour that may depend on the position (for gradients).
type paint func(x, y float64) color.NRGBA

// layer draws a shape in a paint; erase cuts it out of what is below instead.
type layer struct {
	shape sdf
	paint paint
	alpha float64 // opacity of the layer, 1 when zero
	erase bool
}

func solid(c color.NRGBA) paint { return func(float64, float64) color.NRGBA { return c } }

// vertical is a top-to-bottom gradient over [0, size].
func vertical(top, bottom color.NRGBA, size float64) paint {
	return func(_, y float64) color.NRGBA {
		t := math.Max(0, math.Min(1, y/size))
		mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*t)) }
		return color.NRGBA{mix(top.R, bottom.R), mix(top.G, bottom.G), mix(top.B, bottom.B), 255}
	}
}

func roundRect(x0, y0, x1, y1, r float64) sdf {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	return func(x, y float64) float64 {
		qx, qy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
		return math.Hypot(math.Max(qx, 0), math.Max(qy, 0)) + math.Min(math.Max(qx, qy), 0) - r
	}
}

func circle(cx, cy, r float64) sdf {
	return func(x, y float64) float64 { return math.Hypot(x-cx, y-cy) - r }
}

// triangle is the exact distance to a triangle (after Inigo Quilez).
func triangle(ax, ay, bx, by, cx, cy float64) sdf {
	return func(x, y float64) float64 {
		e0x, e0y := bx-ax, by-ay
		e1x, e1y := cx-bx, cy-by
		e2x, e2y := ax-cx, ay-cy
		v0x, v0y := x-ax, y-ay
		v1x, v1y := x-bx, y-by
		v2x, v2y := x-cx, y-cy
		clamp := func(v float64) float64 { return math.Max(0, math.Min(1, v)) }
		t0 := clamp((v0x*e0x + v0y*e0y) / (e0x*e0x + e0y*e0y))
		t1 := clamp((v1x*e1x + v1y*e1y) / (e1x*e1x + e1y*e1y))
		t2 := clamp((v2x*e2x + v2y*e2y) / (e2x*e2x + e2y*e2y))
		p0x, p0y := v0x-e0x*t0, v0y-e0y*t0
		p1x, p1y := v1x-e1x*t1, v1y-e1y*t1
		p2x, p2y := v2x-e2x*t2, v2y-e2y*t2
		s := math.Copysign(1, e0x*e2y-e0y*e2x)
		d0 := [2]float64{p0x*p0x + p0y*p0y, s * (v0x*e0y - v0y*e0x)}
		d1 := [2]float64{p1x*p1x + p1y*p1y, s * (v1x*e1y - v1y*e1x)}
		d2 := [2]float64{p2x*p2x + p2y*p2y, s * (v2x*e2y - v2y*e2x)}
		dist := math.Min(d0[0], math.Min(d1[0], d2[0]))
		side := math.Min(d0[1], math.Min(d1[1], d2[1]))
		return -math.Sqrt(dist) * math.Copysign(1, side)
	}
}

// smoothUnion joins two shapes with a fillet of size k (a polynomial smooth min).
func smoothUnion(a, b sdf, k float64) sdf {
	return func(x, y float64) float64 {
		da, db := a(x, y), b(x, y)
		h := math.Max(k-math.Abs(da-db), 0) / k
		return math.Min(da, db) - h*h*k/4
	}
}

// outline is the band of width w just inside the edge of s.
func outline(s sdf, w float64) sdf {
	return func(x, y float64) float64 {
		d := s(x, y)
		return math.Max(d, -d-w)
	}
}

func grow(s sdf, by float64) sdf {
	return func(x, y float64) float64 { return s(x, y) - by }
}

func translate(s sdf, dx, dy float64) sdf {
	return func(x, y float64) float64 { return s(x-dx, y-dy) }
}

// render draws the layers, given in units of a unit x unit canvas, into a
// size x size image.
func render(size int, unit float64, layers []layer) *image.NRGBA {
	const ss = 8 // supersampling per axis
	scale := unit / float64(size)
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			// premultiplied accumulator over the samples
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) * scale
					y := (float64(py) + (float64(sy)+0.5)/ss) * scale
					var cr, cg, cb, ca float64
					for _, l := range layers {
						if l.shape(x, y) > 0 {
							continue
						}
						la := l.alpha
						if la == 0 {
							la = 1
						}
						if l.erase {
							cr, cg, cb, ca = cr*(1-la), cg*(1-la), cb*(1-la), ca*(1-la)
							continue
						}
						c := l.paint(x, y)
						sa := la * float64(c.A) / 255
						cr = float64(c.R)/255*sa + cr*(1-sa)
						cg = float64(c.G)/255*sa + cg*(1-sa)
						cb = float64(c.B)/255*sa + cb*(1-sa)
						ca = sa + ca*(1-sa)
					}
					r, g, b, a = r+cr, g+cg, b+cb, a+ca
				}
			}
			n := float64(ss * ss)
			r, g, b, a = r/n, g/n, b/n, a/n
			if a == 0 {
				continue
			}
			to8 := func(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255)) }
			img.SetNRGBA(px, py, color.NRGBA{to8(r / a), to8(g / a), to8(b / a), to8(a)})
		}
	}
	return img
}

var (
	purpleTop    = color.NRGBA{0x85, 0x6B, 0xFF, 0xFF}
	purpleBottom = color.NRGBA{0x4F, 0x2F, 0xE0, 0xFF}
	purple       = color.NRGBA{0x6A, 0x4C, 0xFF, 0xFF} // tray fill, between the two
	shade        = color.NRGBA{0x2A, 0x12, 0x80, 0xFF}
	white        = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	grey         = color.NRGBA{0x8E, 0x8E, 0x96, 0xFF}
	red          = color.NRGBA{0xFF, 0x3B, 0x30, 0xFF}
)

// appIcon is drawn on a 100-unit canvas.
func appIcon() []layer {
	// macOS masks the icon with a radius of 185.4/824 of its width: use the same.
	bg := roundRect(0, 0, 100, 100, 22.5)
	back := smoothUnion(
		roundRect(42, 19, 84, 53, 10),
		triangle(66, 50, 78, 50, 82, 62), 3)
	front := smoothUnion(
		roundRect(16, 35, 72, 75, 12),
		triangle(24, 70, 38, 72, 19, 86), 3)
	dot := func(cx float64) layer {
		return layer{shape: circle(cx, 55, 4.6), paint: vertical(purpleTop, purpleBottom, 100)}
	}
	return []layer{
		{shape: bg, paint: vertical(purpleTop, purpleBottom, 100)},
		{shape: back, paint: solid(white), alpha: 0.55},
		{shape: grow(translate(front, 0, 2.5), 1.5), paint: solid(shade), alpha: 0.28},
		{shape: front, paint: solid(white)},
		dot(30.5), dot(44), dot(57.5),
	}
}

// The tray bubble on a 16-unit canvas: body, tail to the lower left.
func trayBubble() sdf {
	return smoothUnion(
		roundRect(0.5, 1.5, 15.5, 12, 3.5),
		triangle(2.5, 10.5, 7, 10.5, 1.5, 15.5), 1)
}

func trayDots(c color.NRGBA, n int) []layer {
	var ls []layer
	for _, cx := range []float64{4.6, 8, 11.4}[:n] {
		ls = append(ls, layer{shape: circle(cx, 6.75, 1.3), paint: solid(c)})
	}
	return ls
}

func trayOnline() []layer {
	return append([]layer{{shape: trayBubble(), paint: solid(purple)}}, trayDots(white, 3)...)
}

func trayOffline() []layer {
	return append([]layer{{shape: outline(trayBubble(), 1.6), paint: solid(grey)}}, trayDots(grey, 3)...)
}

func trayUnread() []layer {
	const cx, cy, r = 12.6, 3.4, 3.4
	// The badge would cut the third dot in half: leave it out.
	ls := append([]layer{{shape: trayBubble(), paint: solid(purple)}}, trayDots(white, 2)...)
	return append(ls,
		layer{shape: circle(cx, cy, r+1.1), erase: true},
		layer{shape: circle(cx, cy, r), paint: solid(red)})
}

func save(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// preview lays the tray icons out at 16, 22 and 32 px on a light and a dark
// panel, and the app icon at 48, 128 and 256 px, to check them by eye.
func preview(icons map[string]func() []layer) *image.NRGBA {
	panels := []color.NRGBA{{0xF2, 0xF2, 0xF2, 0xFF}, {0x24, 0x24, 0x24, 0xFF}, {0x3C, 0x3F, 0x8F, 0xFF}}
	sizes := []int{16, 22, 32}
	names := []string{"tray-online", "tray-offline", "tray-unread"}
	const gap = 10
	rowH := 32 + 2*gap
	width := len(names)*len(sizes)*(32+gap) + gap
	height := len(panels)*rowH + 256 + 2*gap
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	over := func(dst *image.NRGBA, src *image.NRGBA, ox, oy int) {
		b := src.Bounds()
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				s := src.NRGBAAt(x, y)
				d := dst.NRGBAAt(ox+x, oy+y)
				a := float64(s.A) / 255
				mix := func(s, d uint8) uint8 { return uint8(math.Round(float64(s)*a + float64(d)*(1-a))) }
				dst.SetNRGBA(ox+x, oy+y, color.NRGBA{mix(s.R, d.R), mix(s.G, d.G), mix(s.B, d.B), 255})
			}
		}
	}
	for i, p := range panels {
		for y := i * rowH; y < (i+1)*rowH; y++ {
			for x := 0; x < width; x++ {
				img.SetNRGBA(x, y, p)
			}
		}
		x := gap
		for _, n := range names {
			for _, s := range sizes {
				over(img, render(s, 16, icons[n]()), x, i*rowH+gap+(32-s)/2)
				x += 32 + gap
			}
		}
	}
	y0 := len(panels)*rowH + gap
	for y := len(panels) * rowH; y < height; y++ {
		for x := 0; x < width; x++ {
			img.SetNRGBA(x, y, color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF})
		}
	}
	x := gap
	for _, s := range []int{48, 128, 256} {
		over(img, render(s, 100, icons["icon"]()), x, y0+(256-s))
		x += s + gap
	}
	return img
}

func main() {
	out := flag.String("out", "assets", "directory to write the PNGs to")
	prev := flag.String("preview", "", "also write a preview sheet (tray icons at 16/22/32 px on light and dark panels) to this file")
	flag.Parse()

	icons := map[string]func() []layer{
		"icon":         appIcon,
		"tray-online":  trayOnline,
		"tray-offline": trayOffline,
		"tray-unread":  trayUnread,
	}
	files := []struct {
		name       string
		size       int
		unit       float64
		iconLayers func() []layer
	}{
		{"icon.png", 512, 100, appIcon},
		{"tray-online.png", 64, 16, trayOnline},
		{"tray-offline.png", 64, 16, trayOffline},
		{"tray-unread.png", 64, 16, trayUnread},
	}
	for _, f := range files {
		path := filepath.Join(*out, f.name)
		if err := save(path, render(f.size, f.unit, f.iconLayers())); err != nil {
			log.Fatal(err)
		}
		fmt.Println("wrote", path)
	}
	if *prev != "" {
		if err := save(*prev, preview(icons)); err != nil {
			log.Fatal(err)
		}
		fmt.Println("wrote", *prev)
	}
}

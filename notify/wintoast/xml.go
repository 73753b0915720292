// Package wintoast shows a Windows toast notification by calling the
// Windows Runtime's COM interfaces directly (combase.dll: RoActivateInstance,
// RoGetActivationFactory; XmlDocument.LoadXml, ToastNotifier.Show). No
// script, shell or other process is involved: the title and body reach
// Windows only as text nodes of toast XML that [XML] builds with
// encoding/xml, so whatever a message says is shown, never evaluated.
//
// [XML] is plain Go and tested on every OS; [Show] works on Windows and
// returns [ErrUnsupported] elsewhere.
package wintoast

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"directuschat/notify"
)

// Limits on the text put into a toast. Windows shows a few lines at most
// and rejects large payloads; longer text is cut and ended with "…".
const (
	MaxTitleRunes = 200
	MaxBodyRunes  = 1000
)

// ErrUnsupported is returned by Show on systems other than Windows.
var ErrUnsupported = errors.New("wintoast: toast notifications need Windows")

// toast is the toast XML schema subset we send: one generic binding with
// the app logo, a title line and a body.
type toast struct {
	XMLName xml.Name `xml:"toast"`
	Visual  struct {
		Binding struct {
			Template string   `xml:"template,attr"`
			Image    *image   `xml:"image,omitempty"`
			Text     []string `xml:"text"`
		} `xml:"binding"`
	} `xml:"visual"`
}

type image struct {
	Placement string `xml:"placement,attr"`
	Src       string `xml:"src,attr"`
}

// XML returns the toast XML for a notification: title and body become the
// two text elements, in that order, as escaped character data; iconPath,
// if not empty, is the absolute path of a PNG shown as the app logo.
// Text is first made storable in XML by [notify.Sanitize] (cut to
// MaxTitleRunes and MaxBodyRunes).
func XML(title, body, iconPath string) (string, error) {
	var t toast
	t.Visual.Binding.Template = "ToastGeneric"
	if iconPath != "" {
		t.Visual.Binding.Image = &image{Placement: "appLogoOverride", Src: fileURI(iconPath)}
	}
	t.Visual.Binding.Text = []string{notify.Sanitize(title, MaxTitleRunes), notify.Sanitize(body, MaxBodyRunes)}
	var buf bytes.Buffer
	if err := xml.NewEncoder(&buf).Encode(t); err != nil {
		return "", fmt.Errorf("wintoast: encoding the toast XML: %w", err)
	}
	return buf.String(), nil
}

// fileURI turns an absolute Windows path (C:\x\icon.png) into a file URI.
func fileURI(path string) string {
	return "file:///" + strings.ReplaceAll(path, `\`, "/")
}

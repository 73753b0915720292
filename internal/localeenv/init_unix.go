//go:build !windows && !darwin && !js && !android && !ios

package localeenv

import "os"

// The platforms where go-locale reads the environment.
func init() {
	if v, ok := Language(os.Getenv); ok {
		_ = os.Setenv("LANGUAGE", v)
	}
}

package localeenv

import "testing"

func TestLanguage(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string // "" = left alone
	}{
		{map[string]string{}, ""},
		{map[string]string{"LANG": "C"}, ""},
		{map[string]string{"LC_ALL": "C", "LANG": "sr_RS@latin"}, ""},
		{map[string]string{"LANG": "POSIX"}, ""},
		{map[string]string{"LANG": "C.UTF-8"}, ""},
		{map[string]string{"LANG": "C", "LANGUAGE": "sr@latin"}, ""}, // LANGUAGE is not read under C
		{map[string]string{"LANG": "en_US.UTF-8"}, ""},
		{map[string]string{"LANG": "de_DE.UTF-8@euro"}, ""}, // the codeset cut takes the modifier too
		{map[string]string{"LANG": "fr_FR.UTF-8", "LANGUAGE": "fr_FR:en"}, ""},
		{map[string]string{"LANG": "POSIX.UTF-8"}, "en"},
		{map[string]string{"LANG": "sr_RS@latin"}, "sr_RS"},
		{map[string]string{"LC_MESSAGES": "ca_ES@valencia", "LANG": "en_US.UTF-8"}, "ca_ES"},
		{map[string]string{"LC_ALL": "de_DE@euro"}, "de_DE"},
		{map[string]string{"LANG": "sr_RS.UTF-8@latin", "LANGUAGE": "sr@latin:sr:en"}, "sr:sr:en"},
		{map[string]string{"LANGUAGE": "fr::en"}, "fr:en"},
		{map[string]string{"LANG": "xx_YY.UTF-8"}, "en"},
		{map[string]string{"LANG": "en_US.UTF-8", "LANGUAGE": "qq:de"}, "de"},
	} {
		got, ok := Language(func(k string) string { return c.env[k] })
		if ok != (c.want != "") || got != c.want {
			t.Errorf("%v: LANGUAGE = %q, %v; want %q", c.env, got, ok, c.want)
		}
	}
}

package realtime_test

import (
	"reflect"
	"testing"

	"directuschat/realtime"
)

func TestDecodeErrorsReadsTheDirectusEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []realtime.ServerError
	}{
		{"one", `{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}`,
			[]realtime.ServerError{{Code: "INVALID_CREDENTIALS", Message: "Invalid user credentials."}}},
		{"two, in order", `{"errors":[{"message":"a","extensions":{"code":"A"}},{"message":"b"}]}`,
			[]realtime.ServerError{{Code: "A", Message: "a"}, {Message: "b"}}},
		{"no errors", `{"errors":[]}`, nil},
		{"data", `{"data":{"id":1}}`, nil},
		{"html", `<html>502 Bad Gateway</html>`, nil},
		{"empty", ``, nil},
	} {
		if got := realtime.DecodeErrors([]byte(tc.body)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: DecodeErrors = %#v, want %#v", tc.name, got, tc.want)
		}
	}
}

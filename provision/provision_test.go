package provision_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/provision"
)

func TestMain(m *testing.M) { devservertest.Main(m) }

// answer is a decoded Directus REST answer.
type answer struct {
	Status int
	Code   string // extensions.code of the first error
	Data   json.RawMessage
}

// call sends one REST request, authenticated with token if not empty.
func call(t *testing.T, method, url, token string, body any) answer {
	t.Helper()
	var r *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	} else {
		r = bytes.NewReader(nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&env)
	a := answer{Status: resp.StatusCode, Data: env.Data}
	if len(env.Errors) > 0 {
		a.Code = env.Errors[0].Extensions.Code
	}
	return a
}

// login returns an access token.
func login(t *testing.T, base, email, password string) string {
	t.Helper()
	a := call(t, http.MethodPost, base+"/auth/login", "", map[string]string{"email": email, "password": password, "mode": "json"})
	if a.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, a.Status, a.Code)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.Data, &out); err != nil || out.AccessToken == "" {
		t.Fatalf("login %s: no access token (%v)", email, err)
	}
	return out.AccessToken
}

func run(t *testing.T, o provision.Options) (provision.Report, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return provision.Run(ctx, o)
}

// restricted reports whether the server refused the narrow permissions
// (Directus 12 without a license).
func restricted(rep provision.Report) bool {
	return len(rep.Wider) > 0 || len(rep.Omitted) > 0
}

func TestSetupIsIdempotent(t *testing.T) {
	env := devservertest.Shared(t)
	if !env.Report.Changed() {
		t.Fatal("first setup on a fresh server reported no changes")
	}
	t.Logf("first run on directus %s:\n%s", env.Report.ServerVersion, strings.Join(env.Report.Changes, "\n"))
	if len(env.Users) != len(provision.DemoUsers()) {
		t.Fatalf("demo users: got %d, want %d", len(env.Users), len(provision.DemoUsers()))
	}

	rep, err := run(t, provision.Options{URL: env.URL, Email: env.AdminEmail, Password: env.AdminPassword, DemoUsers: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() {
		t.Fatalf("second run changed: %q", rep.Changes)
	}
	if rep.PolicyID != env.Report.PolicyID || rep.RoleID != env.Report.RoleID {
		t.Fatalf("second run found other policy/role: %s/%s, first %s/%s", rep.PolicyID, rep.RoleID, env.Report.PolicyID, env.Report.RoleID)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "already set up: nothing changed") {
		t.Fatalf("second run does not say nothing changed:\n%s", out.String())
	}
	if strings.Contains(out.String(), env.AdminPassword) {
		t.Fatal("report prints the admin password")
	}

	// The same with a static admin token, through the subcommand.
	admin := login(t, env.URL, env.AdminEmail, env.AdminPassword)
	static := "static-" + uuid.NewString()
	if a := call(t, http.MethodPatch, env.URL+"/users/me", admin, map[string]string{"token": static}); a.Status != http.StatusOK {
		t.Fatalf("set static token: %d %s", a.Status, a.Code)
	}
	t.Setenv(provision.EnvToken, static)
	var stdout, stderr bytes.Buffer
	if code := provision.Main([]string{"-url", env.URL + "/"}, &stdout, &stderr); code != 0 {
		t.Fatalf("setup with token: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "already set up: nothing changed") {
		t.Fatalf("setup with token:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), static) {
		t.Fatal("setup printed the token")
	}
}

func TestSchema(t *testing.T) {
	env := devservertest.Shared(t)
	admin := login(t, env.URL, env.AdminEmail, env.AdminPassword)
	a := call(t, http.MethodGet, env.URL+"/fields/messages/date_created", admin, nil)
	var f struct {
		Schema struct {
			IsIndexed bool `json:"is_indexed"`
		} `json:"schema"`
	}
	if err := json.Unmarshal(a.Data, &f); err != nil || !f.Schema.IsIndexed {
		t.Fatalf("messages.date_created is not indexed: %d %s (%v)", a.Status, a.Data, err)
	}
	a = call(t, http.MethodGet, env.URL+"/relations/messages/user_created", admin, nil)
	if a.Status != http.StatusOK || !strings.Contains(string(a.Data), `"related_collection":"directus_users"`) {
		t.Fatalf("relation of messages.user_created: %d %s", a.Status, a.Data)
	}
}

func TestChatUserPermissions(t *testing.T) {
	env := devservertest.Shared(t)
	ada, kevin := env.Users[0], env.Users[1]
	adaToken := login(t, env.URL, ada.Email, ada.Password)
	kevinToken := login(t, env.URL, kevin.Email, kevin.Password)

	// A chat user chooses the id of a message: it is the send's idempotency key.
	admin := login(t, env.URL, env.AdminEmail, env.AdminPassword)
	general := channelByName(t, env.URL, admin, provision.GeneralChannel)
	id := uuid.NewString()
	msg := map[string]any{"id": id, "text": "hello from " + t.Name(), "channel": general}
	a := call(t, http.MethodPost, env.URL+"/items/messages", adaToken, msg)
	if a.Status != http.StatusOK {
		t.Fatalf("create with own id: %d %s", a.Status, a.Code)
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Data, &created); err != nil || created.ID != id {
		t.Fatalf("created id %q, want %q (%v)", created.ID, id, err)
	}
	if a := call(t, http.MethodPost, env.URL+"/items/messages", adaToken, msg); a.Code != "RECORD_NOT_UNIQUE" {
		t.Fatalf("create the same id again: %d %q, want RECORD_NOT_UNIQUE", a.Status, a.Code)
	}

	// Others see it with the author's first name.
	a = call(t, http.MethodGet, env.URL+"/items/messages/"+id+"?fields=id,text,date_created,user_created.first_name", kevinToken, nil)
	var read struct {
		Text        string `json:"text"`
		DateCreated string `json:"date_created"`
		UserCreated struct {
			FirstName string `json:"first_name"`
		} `json:"user_created"`
	}
	if err := json.Unmarshal(a.Data, &read); err != nil || read.UserCreated.FirstName != ada.FirstName || read.DateCreated == "" {
		t.Fatalf("kevin reads ada's message: %d %s (%v)", a.Status, a.Data, err)
	}

	// Nobody can edit or delete someone else's message.
	if a := call(t, http.MethodPatch, env.URL+"/items/messages/"+id, kevinToken, map[string]string{"text": "edited by kevin"}); a.Status != http.StatusForbidden {
		t.Fatalf("kevin edits ada's message: %d %s, want 403", a.Status, a.Code)
	}
	if a := call(t, http.MethodDelete, env.URL+"/items/messages/"+id, kevinToken, nil); a.Status != http.StatusForbidden {
		t.Fatalf("kevin deletes ada's message: %d %s, want 403", a.Status, a.Code)
	}

	// Nobody can write as someone else: refused where the create
	// permission is limited to id and text, overridden by the server where
	// it is not.
	a = call(t, http.MethodGet, env.URL+"/users/me?fields=id", kevinToken, nil)
	var kevinID struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Data, &kevinID); err != nil || kevinID.ID == "" {
		t.Fatalf("kevin reads his id: %d %s", a.Status, a.Data)
	}
	spoof := map[string]any{"id": uuid.NewString(), "text": "spoof", "user_created": kevinID.ID, "channel": general}
	a = call(t, http.MethodPost, env.URL+"/items/messages", adaToken, spoof)
	if restricted(env.Report) {
		var got struct {
			UserCreated string `json:"user_created"`
		}
		if err := json.Unmarshal(a.Data, &got); a.Status != http.StatusOK || err != nil || got.UserCreated == kevinID.ID {
			t.Fatalf("ada creates a message as kevin: %d %s", a.Status, a.Data)
		}
	} else if a.Status != http.StatusForbidden {
		t.Fatalf("ada creates a message as kevin: %d %s, want 403", a.Status, a.Code)
	}

	if restricted(env.Report) {
		t.Logf("server refuses narrow permissions; wider: %q; not granted: %q", env.Report.Wider, env.Report.Omitted)
		return
	}
	// Directus 11: authors edit and delete their own messages; other
	// users' emails stay private.
	if a := call(t, http.MethodPatch, env.URL+"/items/messages/"+id, adaToken, map[string]string{"text": "edited"}); a.Status != http.StatusOK {
		t.Fatalf("ada edits her message: %d %s", a.Status, a.Code)
	}
	if a := call(t, http.MethodGet, env.URL+"/users/"+kevinID.ID+"?fields=email", adaToken, nil); a.Status != http.StatusForbidden {
		t.Fatalf("ada reads kevin's email: %d %s, want 403", a.Status, a.Code)
	}
	if a := call(t, http.MethodDelete, env.URL+"/items/messages/"+id, adaToken, nil); a.Status != http.StatusNoContent {
		t.Fatalf("ada deletes her message: %d %s", a.Status, a.Code)
	}
}

func TestSetupErrors(t *testing.T) {
	env := devservertest.Shared(t)
	ada := env.Users[0]

	notDirectus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html><body>Not Found</body></html>"))
	}))
	defer notDirectus.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		name string
		o    provision.Options
		want string
	}{
		{"wrong password", provision.Options{URL: env.URL, Email: env.AdminEmail, Password: "wrong-" + env.AdminPassword}, "wrong email or password"},
		{"not an admin", provision.Options{URL: env.URL, Email: ada.Email, Password: ada.Password}, "not an admin"},
		{"bad token", provision.Options{URL: env.URL, Token: "no-such-token"}, "token is not accepted"},
		{"not a directus", provision.Options{URL: notDirectus.URL, Email: "a@b.c", Password: "secret-pw"}, "does not look like a Directus"},
		{"unreachable", provision.Options{URL: closedURL, Email: "a@b.c", Password: "secret-pw"}, "cannot reach"},
		{"bad url", provision.Options{URL: "ftp://example.com", Email: "a@b.c", Password: "secret-pw"}, "want http"},
		{"no credentials", provision.Options{URL: env.URL}, "no admin credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if tc.o.Password != "" && strings.Contains(err.Error(), tc.o.Password) {
				t.Fatalf("error shows the password: %v", err)
			}
			if tc.o.Token != "" && strings.Contains(err.Error(), tc.o.Token) {
				t.Fatalf("error shows the token: %v", err)
			}
		})
	}
}

func TestRealtimeDisabled(t *testing.T) {
	s := devservertest.Start(t, devserver.Options{Env: map[string]string{"WEBSOCKETS_ENABLED": "false"}})
	_, err := run(t, provision.Options{URL: s.URL, Email: s.AdminEmail, Password: s.AdminPassword})
	if err == nil || !strings.Contains(err.Error(), "realtime is off") || !strings.Contains(err.Error(), "WEBSOCKETS_ENABLED=true") {
		t.Fatalf("got %v, want realtime is off ... WEBSOCKETS_ENABLED=true", err)
	}
}

func TestMainUsage(t *testing.T) {
	for _, k := range []string{provision.EnvURL, provision.EnvEmail, provision.EnvPassword, provision.EnvToken} {
		t.Setenv(k, "")
	}
	var stdout, stderr bytes.Buffer
	if code := provision.Main(nil, &stdout, &stderr); code != 2 {
		t.Fatalf("no arguments: exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "Usage: setup") {
		t.Fatalf("no usage text:\n%s", stderr.String())
	}
}

// setTextValidation replaces the validation of messages.text as admin.
func setTextValidation(t *testing.T, env *devservertest.Env, admin string, v any) {
	t.Helper()
	body := map[string]any{"meta": map[string]any{"validation": v}}
	if a := call(t, http.MethodPatch, env.URL+"/fields/messages/text", admin, body); a.Status != http.StatusOK {
		t.Fatalf("set the validation of messages.text: %d %s", a.Status, a.Code)
	}
}

// Setup limits the length of a message on the server: a client that does
// not limit itself cannot store a text that freezes the readers' windows.
// Everything the app's composer sends (4,000 characters, whatever the
// script) passes.
func TestServerRefusesOverlongText(t *testing.T) {
	env := devservertest.Shared(t)
	admin := login(t, env.URL, env.AdminEmail, env.AdminPassword)
	ada := login(t, env.URL, env.Users[0].Email, env.Users[0].Password)
	general := channelByName(t, env.URL, admin, provision.GeneralChannel)
	create := func(token, text string) answer {
		a := call(t, http.MethodPost, env.URL+"/items/messages", token, map[string]any{"id": uuid.NewString(), "text": text, "channel": general})
		if a.Status == http.StatusOK {
			var m struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(a.Data, &m)
			t.Cleanup(func() { call(t, http.MethodDelete, env.URL+"/items/messages/"+m.ID, admin, nil) })
		}
		return a
	}
	const composerMax = 4000 // ui.MaxMessageChars
	for _, tc := range []struct {
		name, text string
		ok         bool
	}{
		{"at the limit", strings.Repeat("a", provision.MaxTextUnits), true},
		{"the composer's longest, astral", strings.Repeat("😀", composerMax), true},
		{"the composer's longest, with newlines", strings.Repeat("\n", composerMax), true},
		{"one unit over", strings.Repeat("a", provision.MaxTextUnits+1), false},
		{"100 KB", strings.Repeat("lorem ipsum ", 100<<10/12), false},
		{"100 KB without spaces", strings.Repeat("x", 100<<10), false},
		{"many newlines", strings.Repeat("a\n", provision.MaxTextUnits), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for who, tok := range map[string]string{"ada": ada, "admin": admin} {
				a := create(tok, tc.text)
				if tc.ok && a.Status != http.StatusOK {
					t.Errorf("%s creates %d units: %d %s, want it stored", who, len(tc.text), a.Status, a.Code)
				}
				if !tc.ok && (a.Status != http.StatusBadRequest || a.Code != "FAILED_VALIDATION") {
					t.Errorf("%s creates an over-long text: %d %q, want 400 FAILED_VALIDATION", who, a.Status, a.Code)
				}
			}
		})
	}

	// Nor can a message be made long by an edit.
	a := create(ada, "short")
	var m struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Data, &m); err != nil {
		t.Fatal(err)
	}
	if a := call(t, http.MethodPatch, env.URL+"/items/messages/"+m.ID, ada, map[string]string{"text": strings.Repeat("x", 100<<10)}); restricted(env.Report) {
		if a.Status == http.StatusOK {
			t.Errorf("an edit made the message 100 KB long")
		}
	} else if a.Status != http.StatusBadRequest || a.Code != "FAILED_VALIDATION" {
		t.Errorf("edit to 100 KB: %d %q, want 400 FAILED_VALIDATION", a.Status, a.Code)
	}
}

// A server set up before the check gets it from the next setup, once; a
// validation someone else put there is left as found and mentioned.
func TestSetupAddsTheLengthCheckOnce(t *testing.T) {
	env := devservertest.Shared(t)
	admin := login(t, env.URL, env.AdminEmail, env.AdminPassword)
	opts := provision.Options{URL: env.URL, Email: env.AdminEmail, Password: env.AdminPassword}
	t.Cleanup(func() {
		setTextValidation(t, env, admin, nil)
		if _, err := run(t, opts); err != nil {
			t.Error(err)
		}
	})

	setTextValidation(t, env, admin, nil) // as set up by an older version
	rep, err := run(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := "limited messages.text to 8000 UTF-16 units (field validation)"; len(rep.Changes) != 1 || rep.Changes[0] != want {
		t.Fatalf("setup on a server without the check: changes %q, want [%q]", rep.Changes, want)
	}
	ada := login(t, env.URL, env.Users[0].Email, env.Users[0].Password)
	general := channelByName(t, env.URL, admin, provision.GeneralChannel)
	if a := call(t, http.MethodPost, env.URL+"/items/messages", ada, map[string]any{"text": strings.Repeat("x", 100<<10), "channel": general}); a.Code != "FAILED_VALIDATION" {
		t.Fatalf("after setup a 100 KB create: %d %q, want FAILED_VALIDATION", a.Status, a.Code)
	}
	if rep, err := run(t, opts); err != nil || rep.Changed() {
		t.Fatalf("second setup: changes %q, err %v; want nothing changed", rep.Changes, err)
	}

	own := map[string]any{"_and": []any{map[string]any{"text": map[string]any{"_nempty": true}}}}
	setTextValidation(t, env, admin, own)
	rep, err = run(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() || !strings.Contains(strings.Join(rep.Notes, "\n"), "messages.text has its own validation, left as found") {
		t.Fatalf("setup with another validation: changes %q, notes %q; want it left as found, with a note", rep.Changes, rep.Notes)
	}
}

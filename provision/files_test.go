package provision_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/provision"
)

// fileChanges are the report lines of the attachments' setup.
func fileChanges(rep provision.Report) []string {
	var out []string
	for _, c := range rep.Changes {
		if strings.Contains(c, provision.FilesCollection) || strings.Contains(c, provision.FilesFolderName) ||
			strings.Contains(c, "messages."+provision.MessageFilesField) {
			out = append(out, c)
		}
	}
	return out
}

// checkFilesSchema checks, as admin, the field, the alias, the relation and
// the folder setup makes for attachments.
func checkFilesSchema(t *testing.T, base, admin string) {
	t.Helper()
	a := call(t, http.MethodGet, base+"/fields/directus_files/chat_message", admin, nil)
	var f struct {
		Meta struct {
			Special []string `json:"special"`
			Hidden  bool     `json:"hidden"`
			Note    string   `json:"note"`
		} `json:"meta"`
		Schema struct {
			IsIndexed bool `json:"is_indexed"`
		} `json:"schema"`
	}
	if err := json.Unmarshal(a.Data, &f); err != nil || !slices.Contains(f.Meta.Special, "m2o") || !f.Meta.Hidden ||
		!strings.Contains(f.Meta.Note, "directuschat setup") || !f.Schema.IsIndexed {
		t.Fatalf("directus_files.chat_message: %d %s", a.Status, a.Data)
	}
	a = call(t, http.MethodGet, base+"/fields/messages/files", admin, nil)
	if a.Status != http.StatusOK || !strings.Contains(string(a.Data), `"o2m"`) {
		t.Fatalf("messages.files: %d %s", a.Status, a.Data)
	}
	a = call(t, http.MethodGet, base+"/relations/directus_files/chat_message", admin, nil)
	var rel struct {
		RelatedCollection string `json:"related_collection"`
		Meta              struct {
			OneField string `json:"one_field"`
		} `json:"meta"`
		Schema struct {
			OnDelete string `json:"on_delete"`
		} `json:"schema"`
	}
	if err := json.Unmarshal(a.Data, &rel); err != nil || rel.RelatedCollection != "messages" || rel.Meta.OneField != "files" || rel.Schema.OnDelete != "SET NULL" {
		t.Fatalf("relation of directus_files.chat_message: %d %s", a.Status, a.Data)
	}
	a = call(t, http.MethodGet, base+"/folders/"+provision.FilesFolderID, admin, nil)
	if a.Status != http.StatusOK || !strings.Contains(string(a.Data), provision.FilesFolderName) {
		t.Fatalf("folder %s: %d %s", provision.FilesFolderName, a.Status, a.Data)
	}
}

// filePermissions reads the chat policy's permissions on directus_files.
func filePermissions(t *testing.T, base, admin, policy string) map[string]string {
	t.Helper()
	a := call(t, http.MethodGet, base+"/permissions"+q(map[string]any{
		"policy": map[string]any{"_eq": policy}, "collection": map[string]any{"_eq": "directus_files"},
	}, "action,fields,permissions,presets"), admin, nil)
	var rows []struct {
		Action      string          `json:"action"`
		Fields      []string        `json:"fields"`
		Permissions json.RawMessage `json:"permissions"`
		Presets     json.RawMessage `json:"presets"`
	}
	if err := json.Unmarshal(a.Data, &rows); err != nil {
		t.Fatalf("file permissions: %d %s", a.Status, a.Data)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Action] = strings.Join(r.Fields, ",") + " " + string(r.Permissions) + " " + string(r.Presets)
	}
	return out
}

func TestFilesSetup(t *testing.T) {
	env := devservertest.Shared(t)
	admin := login(t, env.URL, env.AdminEmail, env.AdminPassword)
	got := fileChanges(env.Report)
	t.Logf("first run, attachments:\n%s", strings.Join(got, "\n"))
	for _, want := range []string{
		"created field directus_files.chat_message",
		"created field messages.files (alias)",
		"related directus_files.chat_message to messages (on delete SET NULL), alias messages.files",
		`created folder "Chat files"`,
	} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("first run does not report %q", want)
		}
	}
	checkFilesSchema(t, env.URL, admin)

	perms := filePermissions(t, env.URL, admin, env.Report.PolicyID)
	t.Logf("permissions on directus_files: %q", perms)
	if restricted(env.Report) {
		t.Skip("the server refuses narrow permissions: TestFilesSetupRestricted covers it")
	}
	if len(perms) != 4 {
		t.Fatalf("want read, create, update, delete on directus_files, got %q", perms)
	}
	for action, want := range map[string]string{
		"read":   `* {"_or":[{"uploaded_by":{"_eq":"$CURRENT_USER"}},{"chat_message":{"_or":[{"channel":{"kind":{"_eq":"public"}}},{"channel":{"_in":"$CURRENT_USER.chat_memberships.channel"}}]}}]}`,
		"create": `id,storage,folder,title,filename_download,type`,
		"update": `chat_message {"_and":[{"uploaded_by":{"_eq":"$CURRENT_USER"}},{"chat_message":{"_null":true}}]}`,
		"delete": `* {"_and":[{"uploaded_by":{"_eq":"$CURRENT_USER"}},{"chat_message":{"_null":true}}]}`,
	} {
		if !strings.HasPrefix(perms[action], want) {
			t.Errorf("%s on directus_files: %s, want %s...", action, perms[action], want)
		}
	}
	if !strings.Contains(perms["create"], provision.FilesFolderID) {
		t.Errorf("create on directus_files has no folder preset: %s", perms["create"])
	}

	// A second run changes nothing (TestSetupIsIdempotent checks the whole
	// report; this names the attachments' part if it breaks).
	rep, err := run(t, provision.Options{URL: env.URL, Email: env.AdminEmail, Password: env.AdminPassword, DemoUsers: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := fileChanges(rep); len(c) > 0 {
		t.Fatalf("second run changed attachments: %q", c)
	}
}

// TestFilesSetupRestricted runs setup on Directus 12 (no license: narrow
// permissions are refused): read is granted wider and reported, update and
// delete are not granted and reported, setup does not fail, and a second
// run changes nothing.
func TestFilesSetupRestricted(t *testing.T) {
	if devserver.VersionFromEnv() != devserver.DefaultVersion {
		t.Skip("the shared server already runs another version: TestFilesSetup covers it")
	}
	s := devservertest.Start(t, devserver.Options{Version: "12.4.0"})
	rep := devservertest.Provision(t, s)
	if !restricted(rep) {
		t.Skipf("Directus %s accepted narrow permissions: nothing restricted to check", rep.ServerVersion)
	}
	admin := login(t, s.URL, s.AdminEmail, s.AdminPassword)
	checkFilesSchema(t, s.URL, admin)
	t.Logf("Directus %s: wider:\n%s\nnot granted:\n%s", rep.ServerVersion, strings.Join(rep.Wider, "\n"), strings.Join(rep.Omitted, "\n"))
	wider := strings.Join(rep.Wider, "\n")
	for _, want := range []string{"read on directus_files: every chat user can read every uploaded file", "create on directus_files: all fields"} {
		if !strings.Contains(wider, want) {
			t.Errorf("Wider does not say %q:\n%s", want, wider)
		}
	}
	omitted := strings.Join(rep.Omitted, "\n")
	for _, want := range []string{"update on directus_files, fields chat_message", "delete on directus_files"} {
		if !strings.Contains(omitted, want) {
			t.Errorf("Omitted does not say %q:\n%s", want, omitted)
		}
	}
	perms := filePermissions(t, s.URL, admin, rep.PolicyID)
	if len(perms) != 2 || !strings.HasPrefix(perms["read"], "* null") && !strings.HasPrefix(perms["read"], "* {}") {
		t.Errorf("permissions on directus_files on a restricted server: %q, want read and create with all fields, no rule", perms)
	}
	again, err := run(t, provision.Options{URL: s.URL, Email: s.AdminEmail, Password: s.AdminPassword, DemoUsers: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed() {
		t.Fatalf("second run on a restricted server changed: %q", again.Changes)
	}
}

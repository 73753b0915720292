// Package provision prepares any Directus (11 or newer) for the chat app: it
// owns the `setup` subcommand. From a server URL and administrator
// credentials (email and password, or a static token) it creates the
// `messages` collection with a client-settable UUID primary key, the
// relation of messages.user_created to directus_users, a "Chat users"
// policy and role with the permissions the app needs, and optionally demo
// users. It is idempotent, touches nothing but those objects, and reports
// permissions the server would only grant wider than intended.
package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Names of what setup creates.
const (
	Collection         = "messages"
	ChannelsCollection = "channels"
	MembersCollection  = "channel_members"
	// UserMembershipsField is the one-to-many alias on directus_users that
	// lists a user's channel_members rows: the read rules name the user's
	// channels through it (MyChannels).
	UserMembershipsField = "chat_memberships"
	RoleName             = "Chat users"
	PolicyName           = "Chat users"
)

// ConversationIndex is the index for a conversation's pages. Without it
// the database finds a conversation's messages by the channel index alone
// and sorts all of them for every page (the bare query: 80 ms on 100,000
// messages, 0.1 ms with it; docs/benchmarks.md). Directus's schema API
// makes one-column indexes only, so setup prints it for the administrator;
// the local dev server runs it itself. Valid SQL for SQLite, PostgreSQL and
// MySQL.
const ConversationIndex = "CREATE INDEX IF NOT EXISTS messages_channel_date_created ON messages (channel, date_created)"

// DemoPassword is the password of every demo user.
const DemoPassword = "chat-demo"

// DemoUser is a chat user created with Options.DemoUsers.
type DemoUser struct {
	Email, Password, FirstName, LastName string
}

// DemoUsers returns the demo users setup creates with Options.DemoUsers.
func DemoUsers() []DemoUser {
	return []DemoUser{
		{Email: "ada@example.com", Password: DemoPassword, FirstName: "Ada", LastName: "Lovelace"},
		{Email: "kevin@example.com", Password: DemoPassword, FirstName: "Kevin", LastName: "Lewis"},
		{Email: "grace@example.com", Password: DemoPassword, FirstName: "Grace", LastName: "Hopper"},
	}
}

// Options say which Directus to provision and how to authenticate.
type Options struct {
	// URL of the Directus project, e.g. https://chat.example.com.
	URL string
	// Email and Password of an administrator, or Token: a static token of
	// an administrator. Token wins when both are given.
	Email, Password string
	Token           string
	// DemoUsers also creates the users of DemoUsers() with the chat role.
	DemoUsers bool
	// HTTPClient is used for all requests; nil means one with a 30 s timeout.
	HTTPClient *http.Client
}

// Report says what Run found and did.
type Report struct {
	URL           string
	ServerVersion string
	PolicyID      string
	RoleID        string
	// Changes lists what was created or changed, in order; empty when the
	// server was already set up.
	Changes []string
	// Wider lists permissions the server only accepted wider than intended.
	Wider []string
	// Omitted lists permissions that were not granted because the server
	// refused the intended (narrow) form.
	Omitted []string
	// Notes are things left as found that a person may want to look at.
	Notes []string
	// DemoUsers are the demo users that exist with the chat role.
	DemoUsers []DemoUser
	// Channels are the public channels setup keeps (general, and random
	// with demo users).
	Channels []string
}

// Changed reports whether Run changed anything.
func (r Report) Changed() bool { return len(r.Changes) > 0 }

// Print writes the report for a person. It prints no password or token.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "Directus %s at %s\n", r.ServerVersion, r.URL)
	if !r.Changed() {
		fmt.Fprintln(w, "already set up: nothing changed")
	}
	for _, c := range r.Changes {
		fmt.Fprintf(w, "  %s\n", c)
	}
	for _, s := range r.Wider {
		fmt.Fprintf(w, "wider than intended: %s\n", s)
	}
	for _, s := range r.Omitted {
		fmt.Fprintf(w, "not granted: %s\n", s)
	}
	for _, s := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", s)
	}
	if len(r.DemoUsers) > 0 {
		emails := make([]string, len(r.DemoUsers))
		for i, u := range r.DemoUsers {
			emails[i] = u.Email
		}
		fmt.Fprintf(w, "demo users (role %q): %s\n", RoleName, strings.Join(emails, ", "))
	}
	if len(r.Channels) > 0 {
		fmt.Fprintf(w, "public channels: %s\n", strings.Join(r.Channels, ", "))
	}
	fmt.Fprintf(w, "for long histories, run once on the database (Directus's API cannot make two-column indexes):\n  %s;\n", ConversationIndex)
}

// Run provisions the server described by o. A second run changes nothing.
func Run(ctx context.Context, o Options) (Report, error) {
	c, rep, err := connect(ctx, o)
	if err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	if err := ensureSchema(ctx, c, &rep); err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	if err := ensureAccess(ctx, c, &rep); err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	if err := ensureFiles(ctx, c, &rep); err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	if err := ensureFlows(ctx, c, &rep); err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	if o.DemoUsers {
		if err := ensureDemoUsers(ctx, c, &rep); err != nil {
			return rep, fmt.Errorf("setup: %w", err)
		}
	}
	if err := ensureChannels(ctx, c, o.DemoUsers, &rep); err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	return rep, nil
}

// connect checks that o.URL is a Directus, signs in, checks that the
// account is an administrator and that realtime is enabled.
func connect(ctx context.Context, o Options) (*client, Report, error) {
	base, err := normalizeURL(o.URL)
	if err != nil {
		return nil, Report{}, err
	}
	rep := Report{URL: base}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := &client{base: base, http: hc}

	if err := ping(ctx, c); err != nil {
		return nil, rep, err
	}
	switch {
	case o.Token != "":
		c.token = o.Token
	case o.Email != "" && o.Password != "":
		if err := login(ctx, c, o.Email, o.Password); err != nil {
			return nil, rep, err
		}
		c.relogin = func(ctx context.Context) error { return login(ctx, c, o.Email, o.Password) }
	default:
		return nil, rep, errors.New("no admin credentials: give an email and password, or a static token")
	}

	var globals struct {
		AdminAccess bool `json:"admin_access"`
	}
	if err := c.do(ctx, http.MethodGet, "/policies/me/globals", nil, &globals); err != nil {
		var e *APIError
		switch {
		case errors.As(err, &e) && e.Status == http.StatusUnauthorized:
			return nil, rep, fmt.Errorf("the admin token is not accepted by %s: %w", base, err)
		case errors.As(err, &e) && e.Status == http.StatusNotFound:
			return nil, rep, fmt.Errorf("%s has no policies API: setup needs Directus 11 or newer: %w", base, err)
		}
		return nil, rep, fmt.Errorf("check admin access: %w", err)
	}
	if !globals.AdminAccess {
		return nil, rep, errors.New("not an admin: the account has no admin access; use an administrator's email and password or token")
	}

	var info struct {
		Version   string          `json:"version"`
		Websocket jsonBoolOrValue `json:"websocket"`
	}
	if err := c.do(ctx, http.MethodGet, "/server/info", nil, &info); err != nil {
		return nil, rep, fmt.Errorf("read server info: %w", err)
	}
	rep.ServerVersion = info.Version
	if !info.Websocket.enabled() {
		return nil, rep, fmt.Errorf("realtime is off on %s: set WEBSOCKETS_ENABLED=true on the server and restart it", base)
	}
	return c, rep, nil
}

// normalizeURL checks an http(s) URL and drops a trailing slash.
func normalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("no server URL given")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("server URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("server URL %q: want http://host[:port] or https://host", raw)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return strings.TrimRight(u.String(), "/"), nil
}

// ping tells "cannot reach" from "not a Directus".
func ping(ctx context.Context, c *client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/server/ping", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "pong" {
		return fmt.Errorf("%s does not look like a Directus server: GET /server/ping answered %s, not \"pong\"", c.base, resp.Status)
	}
	return nil
}

func login(ctx context.Context, c *client, email, password string) error {
	body := map[string]string{"email": email, "password": password, "mode": "json"}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	err := c.do(ctx, http.MethodPost, "/auth/login", body, &out)
	switch {
	case isCode(err, "INVALID_CREDENTIALS"):
		return fmt.Errorf("admin sign-in failed: wrong email or password: %w", err)
	case isCode(err, "INVALID_OTP"):
		return fmt.Errorf("admin sign-in failed: the account uses two-factor authentication; use a static admin token instead: %w", err)
	case err != nil:
		return fmt.Errorf("admin sign-in: %w", err)
	case out.AccessToken == "":
		return errors.New("admin sign-in: the server answered without an access token")
	}
	c.token = out.AccessToken
	return nil
}

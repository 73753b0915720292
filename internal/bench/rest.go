package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"directuschat/realtime"
)

var httpClient = &http.Client{Timeout: 10 * time.Minute}

// Login signs in over REST and returns an access token.
func Login(ctx context.Context, base, email, password string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	err := do(ctx, http.MethodPost, base+"/auth/login", "", map[string]string{"email": email, "password": password, "mode": "json"}, &out)
	if err != nil {
		return "", fmt.Errorf("sign in as %s: %w", email, err)
	}
	return out.AccessToken, nil
}

// CreateMany creates messages with one bulk request (POST /items/messages
// with an array), asking only for their ids back.
func CreateMany[T any](ctx context.Context, base, token string, items []map[string]T) error {
	return do(ctx, http.MethodPost, base+"/items/messages?fields=id", token, items, nil)
}

// ChannelID finds the id of the channel called name.
func ChannelID(ctx context.Context, base, token, name string) (string, error) {
	q := url.Values{}
	q.Set("filter[name][_eq]", name)
	q.Set("fields", "id")
	var out []struct {
		ID string `json:"id"`
	}
	if err := do(ctx, http.MethodGet, base+"/items/channels?"+q.Encode(), token, nil, &out); err != nil {
		return "", fmt.Errorf("find channel %s: %w", name, err)
	}
	if len(out) == 0 {
		return "", fmt.Errorf("find channel %s: there is none (is the server set up with channels?)", name)
	}
	return out[0].ID, nil
}

// Count is the number of messages stored.
func Count(ctx context.Context, base, token string) (int, error) {
	var out []struct {
		Count json.RawMessage `json:"count"`
	}
	if err := do(ctx, http.MethodGet, base+"/items/messages?aggregate[count]=*", token, nil, &out); err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, nil
	}
	var n json.Number
	if err := json.Unmarshal(out[0].Count, &n); err != nil {
		var s string
		if err := json.Unmarshal(out[0].Count, &s); err != nil {
			return 0, fmt.Errorf("count: %s", out[0].Count)
		}
		n = json.Number(s)
	}
	v, err := n.Int64()
	return int(v), err
}

// IDsWithPrefix lists the ids of messages whose text starts with prefix,
// in the server's order (date_created, id): the order the app must show.
func IDsWithPrefix(ctx context.Context, base, token, prefix string) ([]string, error) {
	q := url.Values{}
	q.Set("filter[text][_starts_with]", prefix)
	q.Set("sort", "date_created,id")
	q.Set("fields", "id")
	q.Set("limit", "-1")
	var out []struct {
		ID string `json:"id"`
	}
	if err := do(ctx, http.MethodGet, base+"/items/messages?"+q.Encode(), token, nil, &out); err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, o := range out {
		ids[i] = o.ID
	}
	return ids, nil
}

// ServerVersion asks the server for its version (as an administrator).
func ServerVersion(ctx context.Context, base, token string) (string, error) {
	var out struct {
		Version string `json:"version"`
	}
	if err := do(ctx, http.MethodGet, base+"/server/info", token, nil, &out); err != nil {
		return "", err
	}
	return out.Version, nil
}

func do(ctx context.Context, method, u, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		if errs := realtime.DecodeErrors(raw); len(errs) > 0 {
			return fmt.Errorf("%s %s: HTTP %d: %s: %s", method, stripQuery(u), resp.StatusCode, errs[0].Code, errs[0].Message)
		}
		msg := raw
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return fmt.Errorf("%s %s: HTTP %d: %s", method, stripQuery(u), resp.StatusCode, msg)
	}
	if out == nil {
		return nil
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return err
	}
	return json.Unmarshal(env.Data, out)
}

func stripQuery(u string) string {
	if i := bytes.IndexByte([]byte(u), '?'); i >= 0 {
		return u[:i]
	}
	return u
}

package bench

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"directuschat/provision"
)

// The rich history (issue #13): every message formatted (bold, code,
// italics, strikethrough, a link, a mention; one in eight with a code
// block, a list or a quote), one in seven a reply to the message before,
// one in five with reactions, one in twenty with a picture (an 800×600 PNG
// in Directus Files, shown as a thumbnail the server makes).
const (
	richReplyEvery    = 7
	richReactionEvery = 5
	richPictureEvery  = 20
	// richChunk messages per bulk request: rich texts are longer, and
	// Directus takes at most 1 MB.
	richChunk = 1000
)

// RichMessageID is the id of rich history message i (fixed, so a reply can
// name the message it answers in the same bulk request).
func RichMessageID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

// richFileID is the id of the picture of rich history message i.
func richFileID(i int) string { return fmt.Sprintf("00000000-0000-4000-9000-%012d", i) }

// RichText is the text of rich history message i; mention is a user id.
func RichText(i int, mention string) string {
	words := []string{"deploy", "staging", "the build", "tests", "release notes", "the cache", "a review", "lunch"}
	w := func(k int) string { return words[(i+k)%len(words)] }
	s := fmt.Sprintf("#%d about **%s** and `%s`, then *%s* once ~~%s~~ is done, see [the notes](https://example.com/n/%d) <@%s>",
		i, w(0), w(1), w(2), w(3), i, mention)
	if i%5 == 0 {
		s += ". " + strings.Repeat("A longer _thought_ that wraps over more than one line in the window. ", 2)
	}
	switch i % 8 {
	case 1:
		s += "\n```go\nfunc f() error {\n\treturn fmt.Errorf(\"step %d: %w\", n, err)\n}\n```"
	case 3:
		s += "\n- first point\n- second **point**\n- third"
	case 5:
		s += "\n> quoted from *someone* earlier\n\nand the answer"
	}
	return s
}

// StartRichHistory is StartHistory with the rich history: n messages in
// general, their pictures and reactions, made on first use and kept under
// .devserver/data/.
func StartRichHistory(ctx context.Context, n int, log io.Writer) (*Env, Populated, error) {
	env, dir, cached, err := startData(ctx, fmt.Sprintf("bench-rich-%d", n), log)
	if err != nil {
		return nil, Populated{}, err
	}
	pop, err := populateRich(ctx, env, n, dir, log)
	pop.Cached = cached
	if err != nil {
		_ = env.Close()
		return nil, pop, err
	}
	return env, pop, nil
}

// populateRich fills an empty rich history: pictures first, then the
// messages (attached to them), then each user's reactions as that user.
// A fill cut short is not resumed: delete the data directory.
func populateRich(ctx context.Context, env *Env, n int, dir string, log io.Writer) (Populated, error) {
	pop := Populated{Chunk: richChunk, DataDir: dir}
	if log == nil {
		log = io.Discard
	}
	admin, err := Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
	if err != nil {
		return pop, err
	}
	have, err := Count(ctx, env.URL, admin)
	if err != nil {
		return pop, err
	}
	marker := filepath.Join(dir, ".bench-populated")
	if _, err := os.Stat(marker); err == nil {
		pop.Messages = have
		return pop, nil
	}
	if have > 0 {
		return pop, fmt.Errorf("the rich history in %s was cut short (%d messages): delete the folder to fill it again", dir, have)
	}
	start := time.Now()
	var users []struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if err := do(ctx, "GET", env.URL+"/users?fields=id,email&sort=email&filter[email][_ends_with]=@example.com&filter[email][_neq]="+env.AdminEmail, admin, nil, &users); err != nil {
		return pop, err
	}
	if len(users) < 3 {
		return pop, fmt.Errorf("%d demo users, want 3 or more", len(users))
	}
	general, err := ChannelID(ctx, env.URL, admin, provision.GeneralChannel)
	if err != nil {
		return pop, err
	}

	picture, err := richPicture()
	if err != nil {
		return pop, err
	}
	fmt.Fprintf(log, "bench: uploading %d pictures\n", n/richPictureEvery)
	for i := richPictureEvery / 2; i < n; i += richPictureEvery {
		if i%2500 == richPictureEvery/2 {
			if admin, err = Login(ctx, env.URL, env.AdminEmail, env.AdminPassword); err != nil {
				return pop, err
			}
		}
		if err := uploadPicture(ctx, env.URL, admin, richFileID(i), picture); err != nil {
			return pop, fmt.Errorf("upload picture %d: %w", i, err)
		}
	}

	item := func(i int) map[string]any {
		m := map[string]any{
			"id":           RichMessageID(i),
			"text":         RichText(i, users[(i+1)%len(users)].ID),
			"date_created": FormatTime(HistoryTime(i)),
			"user_created": users[(i/3)%len(users)].ID, // runs of three by one person
			"channel":      general,
		}
		if i%richReplyEvery == 2 {
			m["reply_to"] = RichMessageID(i - 1)
		}
		if i%richPictureEvery == richPictureEvery/2 {
			m["files"] = []string{richFileID(i)}
		}
		return m
	}
	if pop.Inserted, err = insertMessages(ctx, env, 0, n, richChunk, item, log); err != nil {
		return pop, err
	}

	// Reactions: on one message in five, one to three of the users, each
	// signed in as themselves (the server sets the reaction's user).
	byEmail := map[string]provision.DemoUser{}
	for _, u := range env.Users {
		byEmail[u.Email] = u
	}
	emojis := []string{"👍", "🎉", "👀"}
	for k := range 3 {
		u, ok := byEmail[users[k].Email]
		if !ok {
			return pop, fmt.Errorf("no password for %s", users[k].Email)
		}
		var batch []map[string]string
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			tok, err := Login(ctx, env.URL, u.Email, u.Password)
			if err != nil {
				return err
			}
			err = do(ctx, http.MethodPost, env.URL+"/items/"+provision.ReactionsCollection+"?fields=id", tok, batch, nil)
			batch = batch[:0]
			return err
		}
		for i := 0; i < n; i += richReactionEvery {
			if k > i%3 {
				continue
			}
			id := RichMessageID(i)
			batch = append(batch, map[string]string{"message": id, "emoji": emojis[k], "reaction_key": id + ":" + users[k].ID + ":" + emojis[k]})
			if len(batch) == 500 {
				if err := flush(); err != nil {
					return pop, fmt.Errorf("reactions of %s: %w", u.Email, err)
				}
			}
		}
		if err := flush(); err != nil {
			return pop, fmt.Errorf("reactions of %s: %w", u.Email, err)
		}
	}
	pop.Took = time.Since(start)
	pop.Messages = n
	_ = os.WriteFile(marker, []byte(pop.Took.String()+"\n"), 0o644)
	fmt.Fprintf(log, "bench: rich history of %d messages made in %v\n", n, pop.Took.Round(time.Second))
	return pop, nil
}

// richPicture is an 800×600 PNG with a gradient (a thumbnail of it is
// not a flat colour).
func richPicture() ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, 800, 600))
	for y := range 600 {
		for x := range 800 {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x / 4), G: uint8(y / 3), B: uint8((x + y) / 6), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// uploadPicture uploads b as file id into the chat's folder.
func uploadPicture(ctx context.Context, base, token, id string, b []byte) error {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("id", id)
	_ = w.WriteField("folder", provision.FilesFolderID)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="photo.png"`)
	h.Set("Content-Type", "image/png")
	fw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := fw.Write(b); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/files", &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST /files: %s: %s", resp.Status, raw)
	}
	return nil
}

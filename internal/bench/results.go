package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// UIThread is what the UI thread did during a scenario: every function the
// app dispatched to it (ui.Config.Dispatch), timed.
type UIThread struct {
	Dispatches int     `json:"dispatches"`
	BusyMS     float64 `json:"busy_ms"`        // sum of all dispatched functions
	Fn         Dist    `json:"fn"`             // per dispatched function
	MaxStretch float64 `json:"max_stretch_ms"` // longest busy stretch (functions less than 1 ms apart merged)
	// Refreshes counts list refreshes: data-change notifications of the
	// list's binding (one per applied batch that changed the timeline)
	// plus explicit list refreshes seen through the binding.
	Refreshes          int `json:"refreshes"`
	MaxRefreshesPerSec int `json:"max_refreshes_per_s"` // in any 1 s window
}

// Latency is scenario 1.
type Latency struct {
	Messages   int     `json:"messages"`
	Rate       float64 `json:"rate_per_s"`    // intended
	SendWindow float64 `json:"send_window_s"` // first to last send
	// App is from the send to the message applied to the app's timeline
	// (timeline.Timeline.OnChange inside ui.App's apply, on the UI thread).
	App Dist `json:"app"`
	// BareBefore and BareAfter are bare clients subscribed before and after
	// the app: Directus serves subscribers one after another, each with
	// its own query, so the app's frame leaves the server between theirs.
	BareBefore Dist `json:"bare_before"`
	BareAfter  Dist `json:"bare_after"`
	// Overhead is, per message, the app's time minus the mean of the two
	// bare clients' times: the app's own cost (decode, session loop,
	// queue, pump with frame pacing, dispatch, Apply).
	Overhead Dist `json:"overhead"`
	// OverheadVsBefore is the app minus the bare client subscribed first:
	// an upper bound that includes the server's turn for the app.
	OverheadVsBefore Dist     `json:"overhead_vs_before"`
	Missing          int      `json:"missing"`
	UI               UIThread `json:"ui"`
	Load             string   `json:"load"`
	// AppFrames counts, by kind, the frames the app sent on its socket
	// while the messages arrived (only with BENCH_LATENCY_FRAMES set).
	AppFrames map[string]int `json:"app_frames,omitempty"`
}

// Burst is scenario 2.
type Burst struct {
	Source       string   `json:"source"` // "directus" or "scripted"
	Messages     int      `json:"messages"`
	Requests     int      `json:"requests"`        // bulk REST requests
	Senders      int      `json:"senders"`         // users sending concurrently
	CreateWindow float64  `json:"create_window_s"` // first request sent to last answered
	AllApplied   float64  `json:"all_applied_s"`   // first request sent to all in the timeline
	Arrived      int      `json:"arrived"`         // burst messages in the timeline
	Duplicates   int      `json:"duplicates"`      // rows beyond one per id
	InOrder      bool     `json:"in_order"`        // timeline order equals the server's (date_created, id)
	UI           UIThread `json:"ui"`
	Load         string   `json:"load"`
}

// SignIn splits the time from pressing Sign in to the newest page shown.
type SignIn struct {
	ProbeMS   float64 `json:"probe_ms"`   // GET /server/ping
	LoginMS   float64 `json:"login_ms"`   // POST /auth/login: "auth ok" at its end
	MeMS      float64 `json:"me_ms"`      // GET /users/me
	PermsMS   float64 `json:"perms_ms"`   // GET /permissions/me
	SocketMS  float64 `json:"socket_ms"`  // dial, socket auth, subscribe with the newest page
	ConnectMS float64 `json:"connect_ms"` // all of realtime.Connect
	// AuthOKToAppliedMS is from the end of the login request to the newest
	// page applied to the timeline; TotalMS from the start of Connect.
	AuthOKToAppliedMS float64 `json:"auth_ok_to_applied_ms"`
	TotalMS           float64 `json:"total_ms"`
	ConnectToApplied  float64 `json:"connect_to_applied_ms"` // Connect returned → page applied
	FirstPage         int     `json:"first_page"`            // messages in it
	// OwnPageMS is from "auth ok" to the open conversation's own newest
	// page (OpenChannel's LoadInitial) applied, on a server with channels;
	// AuthOKToAppliedMS is to its first rows, which the subscription's
	// page of all conversations may bring first (the model only).
	OwnPageMS float64 `json:"own_page_ms,omitempty"`
	// UI thread, from Connect's return to the page applied (the app only):
	// functions run and their total and longest time.
	UIFns    int     `json:"ui_fns,omitempty"`
	UIBusyMS float64 `json:"ui_busy_ms,omitempty"`
	UIMaxMS  float64 `json:"ui_max_ms,omitempty"`
}

// HeapEntry is one line of a heap profile's top list.
type HeapEntry struct {
	Flat    string `json:"flat"`
	FlatPct string `json:"flat_pct"`
	Cum     string `json:"cum"`
	CumPct  string `json:"cum_pct,omitempty"`
	Where   string `json:"where"`
}

// History is scenario 3, for one client (the app's model only, or the app).
type History struct {
	Client    string   `json:"client"`
	Stored    int      `json:"stored"`
	SignIns   []SignIn `json:"sign_ins"` // repeated sign-ins, each a new session
	PageBack  int      `json:"page_back"`
	Loaded    int      `json:"loaded"` // rows after paging back
	Pages     int      `json:"pages"`
	PagingS   float64  `json:"paging_s"`
	Page      Dist     `json:"page"` // request to page applied
	HeapInuse float64  `json:"heap_inuse_mb"`
	HeapAlloc float64  `json:"heap_alloc_mb"`
	HeapSys   float64  `json:"heap_sys_mb"`
	Baseline  float64  `json:"heap_inuse_before_mb"` // before signing in
	Profile   string   `json:"profile"`              // heap profile file
	// HeapIdle is HeapInuse a minute later, idle (the app only), with its profile.
	HeapIdle    float64     `json:"heap_inuse_idle_mb,omitempty"`
	ProfileIdle string      `json:"profile_idle,omitempty"`
	TopIdle     []HeapEntry `json:"top_idle,omitempty"`
	Top         []HeapEntry `json:"top,omitempty"`
	TopLines    []HeapEntry `json:"top_lines,omitempty"`
	TopApp      []HeapEntry `json:"top_app,omitempty"` // the app's functions by cumulative space
	UI          *UIThread   `json:"ui,omitempty"`
	Load        string      `json:"load"`
}

// WriteJSON writes v as dir/name.json when dir (usually $BENCH_OUT) is set.
func WriteJSON(dir, name string, v any) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644)
}

// ReadJSON reads dir/name.json into v.
func ReadJSON(dir, name string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Loadavg is /proc/loadavg's first three fields.
func Loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := splitFields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return f[0] + " " + f[1] + " " + f[2]
}

// TeamSignIn is one sign-in to the team chat, in ui.App on the test driver.
type TeamSignIn struct {
	// SidebarMS is from tapping Sign in to the first moment the sidebar's
	// unread counts all equal the expected ones (checked after every
	// function the app runs on the UI thread); ConnectMS and
	// AuthOKToSidebarMS split it.
	SidebarMS         float64 `json:"sidebar_ms"`
	ConnectMS         float64 `json:"connect_ms"`
	AuthOKToSidebarMS float64 `json:"auth_ok_to_sidebar_ms"`
	OpenRowsMS        float64 `json:"open_rows_ms"` // tap → the open conversation's first rows
	Conversations     int     `json:"conversations"`
	Unread            int     `json:"unread"` // total unread as counted
	// Frames the app sent on the socket from tapping Sign in until 2 s
	// after the sidebar was complete (pongs and pings left out), by kind;
	// Requests its HTTP requests (REST and the socket's upgrade).
	Frames   int            `json:"frames"`
	Kinds    map[string]int `json:"frame_kinds"`
	Requests int            `json:"requests"`
}

// TeamChat is scenario 5 (issue #12): the team chat.
type TeamChat struct {
	Layout   TeamLayout   `json:"layout"`
	Stored   int          `json:"stored"`
	SignIns  []TeamSignIn `json:"sign_ins"` // Ada: Layout.Conversations conversations
	Solo     TeamSignIn   `json:"solo"`     // a user with one conversation
	PageBack int          `json:"page_back"`
	// FirstVisit: switching to a conversation not opened before (no page
	// kept): the switch → its newest page applied.
	FirstVisit Dist `json:"first_visit"`
	// Revisit: switching back to a conversation while a message came in it:
	// the switch → the kept page's rows shown (switchTo's own time on the UI
	// thread; the test driver does not paint), and → the server's newest
	// page applied with the new message (reconciled).
	RevisitShown     Dist  `json:"revisit_shown"`
	RevisitReconcile Dist  `json:"revisit_reconciled"`
	Visited          int   `json:"visited"`
	LoadedEach       []int `json:"loaded_each"` // rows in each visited conversation after paging back
	// Go heap in use (two GCs after Fyne's caches were cleaned) after
	// paging back in one conversation, and after visiting all of them.
	HeapOne    float64  `json:"heap_one_mb"`
	HeapAll    float64  `json:"heap_all_mb"`
	HeapBefore float64  `json:"heap_before_mb"` // before signing in
	ProfileAll string   `json:"profile_all"`
	UI         UIThread `json:"ui"` // while switching and paging
	Load       string   `json:"load"`
}

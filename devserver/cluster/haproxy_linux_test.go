package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A `show stat` answer of HAProxy 2.6 (columns cut after the ones read,
// as HAProxy's CSV allows trailing columns to be read by name).
const sampleStats = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,
chat,FRONTEND,,,3,7,4096,42,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,1,0,9,
directus,d0,0,0,2,5,,30,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,5,0,,1,3,1,,30,,2,0,,6,
directus,d1,0,0,1,2,,12,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,2,3,,1,3,2,,12,,2,0,,3,
directus,BACKEND,0,0,3,7,410,42,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,5,0,,1,3,0,,42,,1,1,,9,
`

func TestParseStatsReadsFrontEndAndInstances(t *testing.T) {
	stats, err := parseStats(sampleStats)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ServerStat{
		"FRONTEND": {Name: "FRONTEND", Status: "OPEN", Current: 3, Total: 42, Rate: 1, RateMax: 9},
		"d0":       {Name: "d0", Status: "UP", Current: 2, Total: 30, Rate: 0, RateMax: 6},
		"d1":       {Name: "d1", Status: "DOWN", Current: 1, Total: 12, Rate: 0, RateMax: 3},
	}
	if len(stats) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(stats), stats, len(want))
	}
	for k, w := range want {
		if stats[k] != w {
			t.Errorf("%s = %+v, want %+v", k, stats[k], w)
		}
	}
	if _, err := parseStats("Unknown command\n"); err == nil {
		t.Error("an error answer parsed without error")
	}
}

func TestHAProxyConfigChecksEveryInstance(t *testing.T) {
	p := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := writeHAProxyConfig(p, "/run/x.sock", 8060, []int{4001, 4002, 4003}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	for _, want := range []string{
		"bind 127.0.0.1:8060",
		"option httpchk GET /server/ping",
		"http-check expect string pong",
		"timeout tunnel 1h",
		"default-server check inter 2s",
		"timeout check 5s",
		"server d0 127.0.0.1:4001",
		"server d2 127.0.0.1:4003",
		"stats socket /run/x.sock",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
}

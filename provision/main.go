package provision

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Environment variables read by Main when the matching flag is not given.
const (
	EnvURL      = "DIRECTUS_URL"
	EnvEmail    = "DIRECTUS_ADMIN_EMAIL"
	EnvPassword = "DIRECTUS_ADMIN_PASSWORD"
	EnvToken    = "DIRECTUS_ADMIN_TOKEN"
)

// Main runs the `setup` subcommand. args are the arguments after "setup".
// It returns the process exit code: 0 on success, 1 when setup failed, 2 for
// bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serverURL := fs.String("url", os.Getenv(EnvURL), "Directus `URL`, e.g. https://chat.example.com (env "+EnvURL+")")
	email := fs.String("email", os.Getenv(EnvEmail), "administrator `email` (env "+EnvEmail+")")
	password := fs.String("password", "", "administrator `password`; prefer env "+EnvPassword+", flags are visible to other local users")
	token := fs.String("token", "", "static administrator `token` instead of email and password; prefer env "+EnvToken)
	demo := fs.Bool("demo-users", false, "also create demo users (ada@, kevin@, grace@example.com, password "+DemoPassword+")")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this `duration`")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: setup -url URL (-email EMAIL -password PASSWORD | -token TOKEN) [-demo-users]\n\n"+
			"Prepares a Directus (11 or newer, realtime enabled) for the chat app: collection %q,\n"+
			"role and policy %q, permissions, optionally demo users. Running it again changes nothing.\n\n", Collection, RoleName)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "setup: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *password == "" {
		*password = os.Getenv(EnvPassword)
	}
	if *token == "" {
		*token = os.Getenv(EnvToken)
	}
	if *serverURL == "" || (*token == "" && (*email == "" || *password == "")) {
		fmt.Fprintln(stderr, "setup: need a server URL and an administrator's email and password, or a static token")
		fs.Usage()
		return 2
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rep, err := Run(ctx, Options{URL: *serverURL, Email: *email, Password: *password, Token: *token, DemoUsers: *demo})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	rep.Print(stdout)
	return 0
}

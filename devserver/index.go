package devserver

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// ExecSQL runs one SQL statement on the server's SQLite database, through
// the sqlite3 module Directus was installed with: for what Directus's API
// cannot do, such as provision.ConversationIndex.
func (s *Server) ExecSQL(ctx context.Context, sql string) error {
	return execSQL(ctx, s.node, s.dir, s.DataDir, sql)
}

// ExecSQLIn does the same for the data directory of a server installed
// under root (one started detached, by cmd/devserver).
func ExecSQLIn(ctx context.Context, root, version, dataDir, sql string) error {
	node, err := findNode(ctx, root)
	if err != nil {
		return fmt.Errorf("sql: %w", err)
	}
	return execSQL(ctx, node, installDir(root, version), dataDir, sql)
}

func execSQL(ctx context.Context, node nodeRuntime, dir, dataDir, sql string) error {
	script := `const sqlite3 = require(process.argv[1]);
const db = new sqlite3.Database(process.argv[2]);
db.run(process.argv[3], (err) => { db.close(); if (err) { console.error(err.message); process.exit(1); } });`
	cmd := exec.CommandContext(ctx, node.Bin, "-e", script,
		filepath.Join(dir, "node_modules", "sqlite3"), filepath.Join(dataDir, "database.sqlite"), sql)
	cmd.Env = serverEnv(nil, filepath.Dir(node.Bin))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sql: %w: %s", err, out)
	}
	return nil
}

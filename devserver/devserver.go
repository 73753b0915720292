// Package devserver owns the project's pinned, local Directus: it installs a
// Directus version from the npm lockfiles committed under devserver/npm (with
// a Node 22 runtime from npm when the system Node is older), and starts,
// stops, kills and restarts it on 127.0.0.1 with SQLite and realtime enabled.
//
// Everything it installs or writes lives under one git-ignored folder in the
// repository, `.devserver/`:
//
//	.devserver/node22/                  Node 22 from the npm package node-<os>-<arch>
//	.devserver/directus-<version>/      npm ci of devserver/npm/<version>
//	.devserver/data/<name>/             SQLite database, uploads, extensions, secret
//	.devserver/logs/directus-<port>.log server output
//
// It is used by `go run ./cmd/devserver` and, through devservertest, by the
// integration tests of the other packages.
package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// DefaultVersion is the Directus version used when none is chosen.
// Directus 11 allows the custom permission rules the chat role wants.
const DefaultVersion = "11.17.4"

// VersionEnv names the environment variable that selects the Directus version.
const VersionEnv = "DIRECTUS_VERSION"

// DirName is the name of the git-ignored folder in the repository root that
// holds installs, data and logs.
const DirName = ".devserver"

// ErrNotInstalled is returned (wrapped) by Start when the chosen version has not
// been installed yet. The error text says which command installs it.
var ErrNotInstalled = errors.New("directus is not installed")

// VersionFromEnv returns $DIRECTUS_VERSION, or DefaultVersion when it is unset.
func VersionFromEnv() string {
	if v := os.Getenv(VersionEnv); v != "" {
		return v
	}
	return DefaultVersion
}

// RepoRoot returns the nearest directory at or above the working directory
// that contains go.mod. Tests run in their package directory, so this finds
// the repository root from any package.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("devserver: find repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devserver: find repo root: no go.mod in the working directory or above")
		}
		dir = parent
	}
}

// DefaultRoot returns <repo root>/.devserver.
func DefaultRoot() (string, error) {
	repo, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(repo, DirName), nil
}

// installCommand is the command a person runs to install a version.
func installCommand(version string) string {
	if version == DefaultVersion {
		return "go run ./cmd/devserver install"
	}
	return fmt.Sprintf("%s=%s go run ./cmd/devserver install", VersionEnv, version)
}

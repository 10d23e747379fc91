package serve

import (
	"context"
	"errors"
	"time"

	"cxinbox/app"
)

// SSHConfig configures the SSH server.
type SSHConfig struct {
	Addr        string
	HostKeyPath string        // generated once, kept in the data directory
	IdleTimeout time.Duration // idle sessions end
	MaxSessions int           // in total
	MaxPerAgent int           // per agent
}

// SSHServer serves the inbox program to agents over SSH.
type SSHServer struct{}

// NewSSHServer prepares the server (host key, agents' keys).
func NewSSHServer(a *app.App, cfg SSHConfig) (*SSHServer, error) {
	return nil, errors.New("ssh: not built yet")
}

// ListenAndServe serves until Shutdown.
func (s *SSHServer) ListenAndServe() error { return errors.New("ssh: not built yet") }

// Shutdown tells connected agents, ends their sessions and returns when done
// or ctx ends.
func (s *SSHServer) Shutdown(ctx context.Context) error { return nil }

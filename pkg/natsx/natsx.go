// Package natsx connects to NATS JetStream (or runs it embedded), declares
// streams, and publishes and consumes protobuf events with deduplication ids
// and trace context, the way DESIGN.md §5 lays out.
package natsx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Connect dials url; reconnects forever so a NATS restart does not take the
// service down.
func Connect(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", url, err)
	}
	return nc, nil
}

// Embedded is an in-process NATS server with JetStream.
type Embedded struct{ srv *server.Server }

// StartEmbedded serves NATS with JetStream on a free loopback port, keeping
// streams under dir.
func StartEmbedded(dir string) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: dir,
		NoLog: true, NoSigs: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded nats did not become ready")
	}
	return &Embedded{srv: srv}, nil
}

// URL is the client URL.
func (e *Embedded) URL() string { return e.srv.ClientURL() }

// Close shuts the server down and waits.
func (e *Embedded) Close() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// EnsureStream creates a file-backed stream, or updates it when its
// settings differ. The duplicate window is what makes republishing an event
// after a crash harmless. Several services declare a stream they consume
// (ORDER) at the same time they create consumers on it; an update that
// changes nothing is skipped, since the server races an update with a
// consumer being added.
func EnsureStream(ctx context.Context, js jetstream.JetStream, name string, subjects []string) error {
	want := jetstream.StreamConfig{
		Name: name, Subjects: subjects, Storage: jetstream.FileStorage,
		Duplicates: 2 * time.Minute, MaxAge: 30 * 24 * time.Hour,
	}
	_, err := js.CreateStream(ctx, want)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		var s jetstream.Stream
		if s, err = js.Stream(ctx, name); err == nil {
			have := s.CachedInfo().Config
			if slices.Equal(have.Subjects, want.Subjects) && have.Storage == want.Storage && have.Duplicates == want.Duplicates && have.MaxAge == want.MaxAge {
				return nil
			}
			have.Subjects, have.Storage, have.Duplicates, have.MaxAge = want.Subjects, want.Storage, want.Duplicates, want.MaxAge
			_, err = js.UpdateStream(ctx, have)
		}
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", name, err)
	}
	return nil
}

// Package embedstore runs FerretDB (MongoDB wire protocol over SQLite)
// inside the process, for the all-in-one developer binary and tests. It needs
// no download and keeps its files in one directory.
package embedstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Store is a running embedded FerretDB.
type Store struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
	// indexed closes when the _id indexing loop has ended.
	indexed chan struct{}
	once    sync.Once
}

// Start opens (or creates) the SQLite files under dir and serves the MongoDB
// wire protocol on a free loopback port.
func Start(ctx context.Context, dir string) (*Store, error) { return start(ctx, dir, true) }

// start is Start; without indexIDs the _id accelerator stays off, for the
// benchmark that measures what it buys.
func start(ctx context.Context, dir string, indexIDs bool) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + strings.TrimSuffix(dir, "/") + "/",
		// FerretDB logs every connection at info; only its errors matter here.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	// A store an earlier release created gets its _id indexes before it
	// serves; collections created later get them within idIndexEvery.
	if indexIDs {
		if _, err := IndexIDs(ctx, dir); err != nil {
			return nil, fmt.Errorf("embedded store: indexing _id: %w", err)
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Store{cancel: cancel, done: make(chan struct{}), indexed: make(chan struct{})}
	go func() {
		defer close(s.done)
		f.Run(runCtx)
	}()
	go func() {
		defer close(s.indexed)
		if !indexIDs {
			return
		}
		t := time.NewTicker(idIndexEvery)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if _, err := IndexIDs(runCtx, dir); err != nil && runCtx.Err() == nil {
					slog.Warn("embedded store: indexing _id failed; retrying", "err", err)
				}
			}
		}
	}()
	if err := waitListening(addr, 30*time.Second); err != nil {
		s.Close()
		return nil, err
	}
	// One connection per client: with more, FerretDB's SQLite backend loses
	// concurrent conditional updates (DESIGN.md §6). Serialising each
	// service's access is correct and, per service database, fast enough.
	s.uri = f.MongoDBURI()
	sep := "?"
	if strings.Contains(s.uri, "?") {
		sep = "&"
	}
	s.uri += sep + "maxPoolSize=1"
	return s, nil
}

// URI is the connection string, already limited to one connection.
func (s *Store) URI() string { return s.uri }

// Close stops the server and waits for it.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
		}
		<-s.indexed
	})
	return nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("embedded store did not start listening")
}

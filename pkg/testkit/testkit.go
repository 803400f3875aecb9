// Package testkit starts the real embedded infrastructure for tests: one
// embedded document store per test binary (databases per test), a NATS
// server per test, and in-memory gRPC connections.
package testkit

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"siyu.dev/pkg/embedstore"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/natsx"
)

var (
	storeOnce sync.Once
	store     *embedstore.Store
	storeErr  error
	client    *mongo.Client
	dbSeq     atomic.Int64
)

// Store is the test binary's shared embedded store; it lives until the
// process exits (its files are in a temporary directory).
func Store(t testing.TB) *embedstore.Store {
	t.Helper()
	storeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "siyu-teststore-")
		if err != nil {
			storeErr = err
			return
		}
		store, storeErr = embedstore.Start(context.Background(), dir)
		if storeErr == nil {
			client, storeErr = mongo.Connect(options.Client().ApplyURI(store.URI()))
		}
	})
	if storeErr != nil {
		t.Fatalf("embedded store: %v", storeErr)
	}
	return store
}

// MongoClient is a client of the shared store (one connection, as services use it).
func MongoClient(t testing.TB) *mongo.Client {
	Store(t)
	return client
}

// DBName is a fresh database name for t.
func DBName(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_", "#", "_").Replace(t.Name())
	if len(name) > 30 {
		name = name[:30]
	}
	return fmt.Sprintf("t%d_%s", dbSeq.Add(1), name)
}

// DB is a fresh database for t, dropped when t ends.
func DB(t testing.TB) *mongo.Database {
	db := MongoClient(t).Database(DBName(t))
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db
}

// NATS starts a NATS server with JetStream for t.
func NATS(t testing.TB) *natsx.Embedded {
	t.Helper()
	ns, err := natsx.StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatalf("embedded nats: %v", err)
	}
	t.Cleanup(ns.Close)
	return ns
}

// Bufconn serves a gRPC server built by register over an in-memory listener
// and returns a client connection to it.
func Bufconn(t testing.TB, register func(*grpc.Server), opts ...grpc.ServerOption) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer(opts...)
	register(s)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return dial(t, lis)
}

// BufconnServer serves a configured grpcserver.Server in memory.
func BufconnServer(t testing.TB, s *grpcserver.Server) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Serve(ctx, lis); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
	})
	return dial(t, lis)
}

func dial(t testing.TB, lis *bufconn.Listener) *grpc.ClientConn {
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

package logx

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestTraceIDsInLogs(t *testing.T) {
	var buf bytes.Buffer
	log := New("member", &buf, slog.LevelInfo)
	tid, _ := trace.TraceIDFromHex("0102030405060708090a0b0c0d0e0f10")
	sid, _ := trace.SpanIDFromHex("0102030405060708")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	log.InfoContext(ctx, "hello", "k", 1)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["trace_id"] != tid.String() || rec["span_id"] != sid.String() || rec["service"] != "member" {
		t.Errorf("record = %v", rec)
	}
	buf.Reset()
	log.Debug("hidden")
	if buf.Len() != 0 {
		t.Error("debug logged at info level")
	}
}

func TestMaskPhoneAndLevel(t *testing.T) {
	cases := map[string]string{"13800138000": "138****8000", "123": "***", "": ""}
	for in, want := range cases {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	if ParseLevel("warn") != slog.LevelWarn || ParseLevel("nonsense") != slog.LevelInfo {
		t.Error("ParseLevel")
	}
}

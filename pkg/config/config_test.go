package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type Nested struct {
	Level string `env:"T_LEVEL" default:"info"`
}

type sample struct {
	Addr    string        `env:"T_ADDR" default:"127.0.0.1:1"`
	URI     string        `env:"T_URI" required:"true" desc:"database"`
	TTL     time.Duration `env:"T_TTL" default:"15m"`
	On      bool          `env:"T_ON"`
	N       int           `env:"T_N" default:"3"`
	Ratio   float64       `env:"T_RATIO"`
	Origins []string      `env:"T_ORIGINS"`
	Skip    string        `env:"-"`
	Nested
	Inner Nested
}

type validated struct {
	Port int `env:"T_PORT" default:"0"`
}

func (v validated) Validate() error {
	if v.Port <= 0 {
		return errors.New("T_PORT must be positive")
	}
	return nil
}

func lookup(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadLookup(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    sample
		wantErr []string
	}{
		{"defaults", map[string]string{"T_URI": "mongodb://x"},
			sample{Addr: "127.0.0.1:1", URI: "mongodb://x", TTL: 15 * time.Minute, N: 3, Nested: Nested{"info"}, Inner: Nested{"info"}}, nil},
		{"every kind", map[string]string{"T_URI": "u", "T_ADDR": ":2", "T_TTL": "2h", "T_ON": "true", "T_N": "7", "T_RATIO": "0.5", "T_ORIGINS": "a, b,,c", "T_LEVEL": "warn"},
			sample{Addr: ":2", URI: "u", TTL: 2 * time.Hour, On: true, N: 7, Ratio: 0.5, Origins: []string{"a", "b", "c"}, Nested: Nested{"warn"}, Inner: Nested{"warn"}}, nil},
		{"all problems at once", map[string]string{"T_TTL": "soon", "T_ON": "maybe", "T_N": "x"},
			sample{}, []string{"T_URI: required", `T_TTL: "soon" is not a duration`, `T_ON: "maybe" is not a boolean`, `T_N: "x" is not an integer`}},
		{"empty counts as unset", map[string]string{"T_URI": ""}, sample{}, []string{"T_URI: required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got sample
			err := LoadLookup(&got, lookup(c.env))
			if len(c.wantErr) > 0 {
				if err == nil {
					t.Fatalf("want error, got %+v", got)
				}
				for _, w := range c.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestValidateRuns(t *testing.T) {
	var v validated
	if err := LoadLookup(&v, lookup(nil)); err == nil || !strings.Contains(err.Error(), "T_PORT must be positive") {
		t.Fatalf("err = %v", err)
	}
	if err := LoadLookup(&v, lookup(map[string]string{"T_PORT": "8"})); err != nil || v.Port != 8 {
		t.Fatalf("err = %v port %d", err, v.Port)
	}
	if err := LoadLookup(v, lookup(nil)); err == nil {
		t.Fatal("non-pointer accepted")
	}
}

func TestDescribe(t *testing.T) {
	vars := Describe(&sample{})
	names := map[string]Var{}
	for _, v := range vars {
		names[v.Name] = v
	}
	if !names["T_URI"].Required || names["T_URI"].Desc != "database" || names["T_TTL"].Default != "15m" {
		t.Errorf("Describe = %+v", vars)
	}
	if _, ok := names["-"]; ok {
		t.Error("skipped field described")
	}
	if len(vars) != 9 {
		t.Errorf("got %d vars, want 9 (nested structs included)", len(vars))
	}
}

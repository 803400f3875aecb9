package gateway

import (
	"testing"

	"siyu.dev/pkg/config"
)

// TestEveryServiceHasAnAddress: each row of the services table has the
// Config field its address is read from, defaulting to the row's port.
func TestEveryServiceHasAnAddress(t *testing.T) {
	vars := map[string]config.Var{}
	for _, v := range config.Describe(&Config{}) {
		vars[v.Name] = v
	}
	names := map[string]bool{}
	for _, s := range Services {
		if names[s.Name] {
			t.Errorf("%s is in the table twice", s.Name)
		}
		names[s.Name] = true
		v, ok := vars[s.AddrVar()]
		if !ok || v.Default != s.DefaultAddr() {
			t.Errorf("%s: Config reads %s with default %q, want a field defaulting to %q", s.Name, s.AddrVar(), v.Default, s.DefaultAddr())
		}
		if len(s.Handlers) == 0 {
			t.Errorf("%s routes nothing", s.Name)
		}
	}
}

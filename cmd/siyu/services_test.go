package main

import (
	"testing"

	"siyu.dev/cmd/siyu/internal/suite"
	"siyu.dev/gateway"
)

// TestEveryServiceRunsInTheSuite: every row of gateway.Services has a
// package (runner and policy) in the all-in-one suite.
func TestEveryServiceRunsInTheSuite(t *testing.T) {
	for _, s := range gateway.Services {
		if suite.Policy(s.Name) == nil {
			t.Errorf("%s has no runner in cmd/siyu/internal/suite", s.Name)
		}
	}
}

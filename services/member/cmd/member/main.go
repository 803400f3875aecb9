// Command member runs the member service; -healthcheck asks a running one whether it serves.
package main

import (
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/member"
)

func main() { lifecycle.Main("member", member.Run) }

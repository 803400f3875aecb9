package main

import (
	"fmt"
	"io"
	"strings"

	"siyu.dev/pkg/auth"
)

// keysCmd prints a key pair in .env syntax, for docker compose and Kubernetes
// secrets. PEM newlines are escaped so each value stays on one line.
func keysCmd(w io.Writer) error {
	priv, pub, err := auth.GenerateKeyPEM()
	if err != nil {
		return err
	}
	esc := func(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", `\n`) }
	fmt.Fprintf(w, "SIYU_JWT_PRIVATE_KEY=\"%s\"\nSIYU_JWT_PUBLIC_KEY=\"%s\"\n", esc(priv), esc(pub))
	return nil
}

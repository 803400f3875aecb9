// Package auth issues and verifies the platform's JWTs (EdDSA only), carries
// the caller's identity in the context, and enforces per-method access rules
// in gRPC interceptors. Only the member service holds the private key; every
// other process verifies with the public key, so no service has to trust an
// unsigned identity header.
package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"siyu.dev/pkg/clock"
)

// Kind is what sort of principal a token stands for.
type Kind string

const (
	KindMember  Kind = "member"
	KindAdmin   Kind = "admin"
	KindService Kind = "service"
)

// Operator roles.
const (
	RoleOwner           = "owner"
	RoleOperator        = "operator"
	RoleCustomerService = "customer-service"
)

// Identity is the verified caller.
type Identity struct {
	Subject   string
	Kind      Kind
	Roles     []string
	SessionID string
}

// HasRole reports whether the identity holds role r.
func (id Identity) HasRole(r string) bool { return slices.Contains(id.Roles, r) }

type ctxKey struct{}

// WithIdentity stores the caller in ctx.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the verified caller, if any.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

type claims struct {
	jwt.RegisteredClaims
	Kind    Kind     `json:"knd"`
	Roles   []string `json:"roles,omitempty"`
	Session string   `json:"sid,omitempty"`
}

// Issuer signs tokens.
type Issuer struct {
	key    ed25519.PrivateKey
	issuer string
	clk    clock.Clock
}

// NewIssuer signs with priv; issuer goes into the iss claim.
func NewIssuer(priv ed25519.PrivateKey, issuer string, clk clock.Clock) *Issuer {
	return &Issuer{key: priv, issuer: issuer, clk: clk}
}

// Issue signs a token for id that expires after ttl.
func (i *Issuer) Issue(id Identity, ttl time.Duration) (string, time.Time, error) {
	now := i.clk.Now()
	exp := now.Add(ttl)
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: i.issuer, Subject: id.Subject, ID: fmt.Sprintf("%x", jti),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
		Kind: id.Kind, Roles: id.Roles, Session: id.SessionID,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(i.key)
	return s, exp, err
}

// Verifier checks tokens.
type Verifier struct {
	key    ed25519.PublicKey
	issuer string
	parser *jwt.Parser
	clk    clock.Clock
}

// Verification failures, told apart so clients learn whether to refresh.
var (
	ErrTokenInvalid = errors.New("token invalid")
	ErrTokenExpired = errors.New("token expired")
)

// NewVerifier accepts only EdDSA tokens signed by pub with the given issuer.
func NewVerifier(pub ed25519.PublicKey, issuer string, clk clock.Clock) *Verifier {
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(clk.Now),
		jwt.WithLeeway(5*time.Second),
	)
	return &Verifier{key: pub, issuer: issuer, parser: p, clk: clk}
}

// Verify returns the identity in token, or ErrTokenInvalid / ErrTokenExpired.
func (v *Verifier) Verify(token string) (Identity, error) {
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, ErrTokenExpired
	case err != nil:
		return Identity{}, ErrTokenInvalid
	}
	if c.Subject == "" || (c.Kind != KindMember && c.Kind != KindAdmin && c.Kind != KindService) {
		return Identity{}, ErrTokenInvalid
	}
	return Identity{Subject: c.Subject, Kind: c.Kind, Roles: c.Roles, SessionID: c.Session}, nil
}

// GenerateKeyPEM makes a new Ed25519 key pair in PKCS#8 / PKIX PEM.
func GenerateKeyPEM() (privPEM, pubPEM string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	return encodeKeys(priv, pub)
}

func encodeKeys(priv ed25519.PrivateKey, pub ed25519.PublicKey) (string, string, error) {
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", err
	}
	pb, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pb})), nil
}

// unescape accepts PEM whose newlines were written as \n, as in .env files.
func unescape(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimSpace(s), `\n`, "\n"))
}

// ParsePrivateKeyPEM reads an Ed25519 private key.
func ParsePrivateKeyPEM(s string) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(unescape(s))
	if b == nil {
		return nil, errors.New("no PEM block in private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("private key is not Ed25519")
	}
	return priv, nil
}

// ParsePublicKeyPEM reads an Ed25519 public key.
func ParsePublicKeyPEM(s string) (ed25519.PublicKey, error) {
	b, _ := pem.Decode(unescape(s))
	if b == nil {
		return nil, errors.New("no PEM block in public key")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("public key is not Ed25519")
	}
	return pub, nil
}

// LoadOrCreateDevKeys keeps a development key pair in dir so tokens stay
// valid across restarts of the dev runner. Never used in production, where
// keys come from the environment.
func LoadOrCreateDevKeys(dir string) (privPEM, pubPEM string, err error) {
	path := filepath.Join(dir, "jwt-ed25519.pem")
	if b, err := os.ReadFile(path); err == nil {
		priv, err := ParsePrivateKeyPEM(string(b))
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", path, err)
		}
		return encodeKeys(priv, priv.Public().(ed25519.PublicKey))
	}
	privPEM, pubPEM, err = GenerateKeyPEM()
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	return privPEM, pubPEM, os.WriteFile(path, []byte(privPEM), 0o600)
}

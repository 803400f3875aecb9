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
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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

	// verified remembers tokens whose signature checked out, by their
	// SHA-256, until they expire: a shopper's token is presented on every
	// request for its whole life, and the hash costs about a microsecond
	// where the Ed25519 check costs some sixty.
	mu       sync.Mutex
	verified map[[sha256.Size]byte]verifiedToken
}

type verifiedToken struct {
	id      Identity
	expires time.Time
}

// maxVerified bounds the cache: at ~200 bytes an entry, a few MB.
var maxVerified = 20000

// leeway is the clock skew tolerated on expiry.
const leeway = 5 * time.Second

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
		jwt.WithLeeway(leeway),
	)
	return &Verifier{key: pub, issuer: issuer, parser: p, clk: clk, verified: map[[sha256.Size]byte]verifiedToken{}}
}

// Verify returns the identity in token, or ErrTokenInvalid / ErrTokenExpired.
func (v *Verifier) Verify(token string) (Identity, error) {
	key := sha256.Sum256([]byte(token))
	v.mu.Lock()
	hit, ok := v.verified[key]
	v.mu.Unlock()
	if ok {
		if !v.clk.Now().Before(hit.expires.Add(leeway)) {
			return Identity{}, ErrTokenExpired
		}
		id := hit.id
		id.Roles = slices.Clone(id.Roles) // callers may not change the cached one
		return id, nil
	}
	id, expires, err := v.verify(token)
	if err == nil {
		cached := id
		cached.Roles = slices.Clone(id.Roles)
		v.remember(key, verifiedToken{id: cached, expires: expires})
	}
	return id, err
}

// remember caches a verified token; a full cache first drops what expired,
// and is emptied when that is not enough (a burst of distinct tokens then
// costs a re-check each, never unbounded memory).
func (v *Verifier) remember(key [sha256.Size]byte, t verifiedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.verified) >= maxVerified {
		now := v.clk.Now()
		for k, e := range v.verified {
			if !now.Before(e.expires.Add(leeway)) {
				delete(v.verified, k)
			}
		}
		if len(v.verified) >= maxVerified {
			clear(v.verified)
		}
	}
	v.verified[key] = t
}

// verify checks token's signature, issuer, expiry and claims.
func (v *Verifier) verify(token string) (Identity, time.Time, error) {
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, time.Time{}, ErrTokenExpired
	case err != nil:
		return Identity{}, time.Time{}, ErrTokenInvalid
	}
	if c.Subject == "" || (c.Kind != KindMember && c.Kind != KindAdmin && c.Kind != KindService) {
		return Identity{}, time.Time{}, ErrTokenInvalid
	}
	return Identity{Subject: c.Subject, Kind: c.Kind, Roles: c.Roles, SessionID: c.Session}, c.ExpiresAt.Time, nil
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

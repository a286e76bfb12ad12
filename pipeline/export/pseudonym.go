// Package export writes the research export: record-level Parquet in which
// student and tutor ids are replaced by keyed pseudonyms, with a codebook and
// a manifest, written whole or not at all.
package export

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
)

// MinKeyLength is the shortest pseudonym key accepted: a short key could be
// guessed, and every student id with it.
const MinKeyLength = 16

// Pseudonymizer turns district ids into pseudonyms with HMAC-SHA-256 under
// a key the district keeps: the same key gives the same pseudonym every
// night, so exports link over time; without the key, a pseudonym cannot be
// turned back into an id (ids are few enough to try them all, which is why
// a plain hash would not do).
type Pseudonymizer struct{ key []byte }

// KeyFromEnv reads the key from the environment variable the config names.
func KeyFromEnv(name string) (*Pseudonymizer, error) {
	key := os.Getenv(name)
	if key == "" {
		return nil, fmt.Errorf("the research export needs a pseudonym key: set the environment variable %s "+
			"(privacy.pseudonym_key_env in the config) to a secret of at least %d characters, and keep it: "+
			"the same key links this export to later ones", name, MinKeyLength)
	}
	if len(key) < MinKeyLength {
		return nil, fmt.Errorf("the pseudonym key in %s is %d characters long; use at least %d", name, len(key), MinKeyLength)
	}
	if distinct(key) < 8 {
		return nil, fmt.Errorf("the pseudonym key in %s is too easy to guess (it uses %d different characters); "+
			"use a random one, e.g. from: openssl rand -base64 32", name, distinct(key))
	}
	return &Pseudonymizer{key: []byte(key)}, nil
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// New makes a Pseudonymizer from a key (tests).
func New(key []byte) (*Pseudonymizer, error) {
	if len(key) < MinKeyLength {
		return nil, errors.New("pseudonym key too short")
	}
	return &Pseudonymizer{key: append([]byte(nil), key...)}, nil
}

// Kinds of id, kept apart so a student and a tutor with the same id get
// unrelated pseudonyms.
const (
	StudentID = "student"
	TutorID   = "tutor"
)

// ID is the pseudonym of one id of a kind: 32 hex digits (128 bits).
func (p *Pseudonymizer) ID(kind, id string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// Fingerprint names the key without revealing it: two exports with the same
// fingerprint link. It is derived slowly (PBKDF2, 600,000 rounds), so that
// the fingerprint, which travels with every export, does not let anyone
// test guessed keys quickly.
func (p *Pseudonymizer) Fingerprint() string {
	k, err := pbkdf2.Key(sha256.New, string(p.key), []byte("hitreflect pseudonym key fingerprint"), 600_000, 8)
	if err != nil {
		return "unknown"
	}
	return hex.EncodeToString(k)
}

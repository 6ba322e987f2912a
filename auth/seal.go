package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealVersion is the first byte of every sealed blob.
const sealVersion = 1

// ErrUnseal reports sealed data that cannot be opened: a wrong sealing key,
// data bound to another key id, or corruption.
var ErrUnseal = errors.New("auth: cannot unseal private key (wrong SealKey or corrupted record)")

// Sealer encrypts private signing keys at rest with AES-256-GCM. The sealed
// blob is version(1) || nonce(12) || ciphertext+tag, and the key id is bound
// as additional data so a blob cannot be moved to another record.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("auth: SealKey must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad (the key id).
func (s *Sealer) Seal(plaintext []byte, aad string) []byte {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	_, _ = rand.Read(out[1:])
	return s.aead.Seal(out, out[1:], plaintext, []byte(aad))
}

// Open decrypts a blob produced by Seal with the same aad; ErrUnseal otherwise.
func (s *Sealer) Open(sealed []byte, aad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(aad))
	if err != nil {
		return nil, ErrUnseal
	}
	return pt, nil
}

package service

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
)

// Credentials is what a client of the service needs, as the -credentials
// file holds it.
type Credentials struct {
	// TokenURL is the token endpoint.
	TokenURL string `json:"token_url"`
	// Bases are the FHIR base URLs.
	Bases Bases `json:"bases"`
	// Tenants are the tenants, in order.
	Tenants []TenantCredentials `json:"tenants"`
}

// Bases are the FHIR base URLs of the two versions.
type Bases struct {
	STU3  string `json:"stu3"`
	DSTU2 string `json:"dstu2"`
}

// TenantCredentials are one tenant's client and test patient.
type TenantCredentials struct {
	// Tenant is the tenant's GUID: the token request's scope.
	Tenant string `json:"tenant"`
	// Name is the tenant's hospital.
	Name string `json:"name"`
	// ClientID and ClientSecret are the tenant's demo client.
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// Patient is the tenant's designated patient: it has every kind of
	// record (what the conformance kits and patientsfhir check need).
	Patient population.Summary `json:"patient"`
}

// WriteCredentials writes c as JSON to path (mode 0600), replacing the
// file at once (readers never see half of it).
func WriteCredentials(path string, c Credentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(path, append(b, '\n'))
}

// writePrivate writes b to path with mode 0600 through a temporary file
// and a rename.
func writePrivate(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// secretFile returns the content of path, creating it (mode 0600) with
// make() if it does not exist; created reports that it did.
func secretFile(path string, make func() []byte) (b []byte, created bool, err error) {
	b, err = os.ReadFile(path)
	if err == nil {
		if len(b) == 0 {
			return nil, false, fmt.Errorf("sampleehr: %s is empty (delete it to make a new one)", path)
		}
		return b, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("sampleehr: %w", err)
	}
	b = make()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("sampleehr: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("sampleehr: %w", err)
	}
	return b, true, f.Close()
}

func newSealKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// OperatorTokenPrefix starts the operator tokens the service generates.
const OperatorTokenPrefix = "fhop_"

func newOperatorToken() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return []byte(OperatorTokenPrefix + base64.RawURLEncoding.EncodeToString(k) + "\n")
}

// keptClient is a demo client as the data directory keeps it.
type keptClient struct {
	Tenant       string `json:"tenant"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// readClients reads the kept clients, by tenant ({} when there are none).
func readClients(path string) (map[string]keptClient, error) {
	out := map[string]keptClient{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	} else if err != nil {
		return nil, fmt.Errorf("sampleehr: %w", err)
	}
	var doc struct {
		Clients []keptClient `json:"clients"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("sampleehr: %s: %w", path, err)
	}
	for _, c := range doc.Clients {
		out[c.Tenant] = c
	}
	return out, nil
}

// writeClients keeps the clients (mode 0600), ordered by client id.
func writeClients(path string, cs map[string]keptClient) error {
	var doc struct {
		Note    string       `json:"note"`
		Clients []keptClient `json:"clients"`
	}
	doc.Note = "The sample EHR's demo clients. A real service never keeps a plaintext secret."
	for _, c := range cs {
		doc.Clients = append(doc.Clients, c)
	}
	slices.SortFunc(doc.Clients, func(a, b keptClient) int { // patients-app-2 before patients-app-10
		return cmp.Or(cmp.Compare(len(a.ClientID), len(b.ClientID)), strings.Compare(a.ClientID, b.ClientID))
	})
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(path, append(b, '\n'))
}

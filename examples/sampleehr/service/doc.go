// Package service is the sample EHR (examples/sampleehr) as a library: a
// complete Patients-app partner service over an embedded SQLite database,
// the reference for wiring a real one. It serves /stu3 and /dstu2 from the
// same data (package ehr), the token endpoint, discovery, the admin API
// (clients and secrets, tenants, signing keys), the operator portal at
// /portal (package portal, unless Config.NoPortal), and routes every tenant
// through the persisted tenant registry (routing.Directory and one
// routing.Registry per version, whose provider binds the EHR to the
// tenant's id). The directory is also the token endpoint's tenant truth
// (auth.Config.TenantValidator) and what the portal's tenant pages manage.
//
// Everything lives in one data directory:
//
//	ehr.db                  every tenant's synthetic population (package population)
//	auth.db                 clients, hashed secrets, sealed signing keys, tenant records (auth/sqlstore)
//	seal.key                the key sealing the signing keys (mode 0600), unless Config.SealKey
//	operator.token          the admin API's operator token (mode 0600), unless Config.OperatorToken
//	clients.json            the demo clients with their secrets (mode 0600)
//	portal-operator.sha256  the SHA-256 of the portal's generated operator credential, unless Config.PortalCredential
//
// On first start [Open] creates the directory, seeds a deterministic
// population per tenant, registers the tenants and creates one client per
// tenant, and generates the portal's operator credential, which only
// [Start].PortalAnnouncement shows (never the log); later starts find
// everything there. The demo keeps its clients'
// plaintext secrets (and, by default, its seal key and operator token)
// beside the data so that scripts can be handed credentials on every
// start; a real service takes its seal key and operator token from a
// secret manager and never keeps a client secret.
package service

// Package routing maps each request's tenant to the backend that serves it.
//
// The Microsoft Teams Patients app talks to one partner endpoint for every
// customer; the partner maps each customer's tenant GUID (the scope of the
// access token) to that provider's EHR. A [Router] is that map, typed by the
// version's backend interface:
//
//	var r routing.Router[stu3.Backend] = routing.Static[stu3.Backend]{
//		"6a1c4f0e-0000-4000-8000-000000000001": hospitalA,
//		"6a1c4f0e-0000-4000-8000-000000000002": hospitalB,
//	}
//
// The tenant always comes from the verified token: the servers pass
// auth.Principal.TenantID to Route, and nothing in a URL, header, body or
// page cursor can select another tenant.
//
// Implementations: [Static] (a fixed map), [Func] (a function), [Single]
// (one backend for every tenant) and [Registry] (the persisted tenant
// registry below).
//
// # The tenant registry
//
// A [Tenant] record says which provider serves a tenant (Backend) and
// whether it is active or disabled (State). Records live in a
// [TenantStore]: [MemoryStore], or auth/sqlstore.Store on SQLite or
// PostgreSQL, which is also the auth package's store, so a partner opens one
// database for both. routing/routingtest is the conformance suite of
// stores.
//
// A [Directory] over the store is the one tenant truth. Its administration
// methods ([Directory.Add], [Directory.Update], [Directory.Enable],
// [Directory.Disable], [Directory.Remove]) validate and write records;
// [Directory.Check] answers "is this tenant known and active" for the token
// endpoint; a [Registry] routes requests with it, building each tenant's
// backend with the [Provider] its record names:
//
//	st, _ := sqlstore.OpenPostgres(ctx, dsn) // auth.Store and routing.TenantStore
//	dir, _ := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: st})
//	srv, _ := auth.New(ctx, auth.Config{ /* … */ TenantValidator: dir.Check}, st)
//	router, _ := routing.NewRegistry(dir, map[string]routing.Provider[stu3.Backend]{
//		"epic-east": routing.Fixed[stu3.Backend](epicEast),
//		"sql":       func(ctx context.Context, t routing.Tenant) (stu3.Backend, error) { return ehr.ForTenant(t.ID), nil },
//	})
//
// # Administration
//
// [Admin] is the operator's HTTP API over a Directory (list, add, rename,
// disable, re-point, remove tenants), behind the same operator token as
// the auth server's registration API; patientsfhir.Server.MountAdmin
// mounts it at /admin/tenants. Every change goes through the Directory
// and is audited.
//
// # Bounds
//
// A change made through a Directory takes effect on its node before the
// call returns. On every other node it takes effect within
// [DirectoryConfig.MaxStale] (default [DefaultMaxStale], 5 s): for the token
// endpoint (invalid_scope), for tokens already issued (401 invalid_token,
// through auth's TenantValidator check on every request) and for routing
// alike. Nodes learn about changes from the store's revision counter, so
// keeping a node's view fresh costs one single-row read per MaxStale/2 when
// nothing changed. A disabled client's tokens stop within auth's
// ClientCacheTTL (30 s by default).
//
// # Errors
//
// Routers answer [ErrUnknownTenant] and [ErrTenantDisabled] (403 with an
// OperationOutcome that names no tenant). A store that cannot be reached is
// never taken for an unknown tenant: lookups then fail with an error
// wrapping fhir.ErrUnavailable and auth.ErrUnavailable (503). Stores report
// [ErrTenantNotFound] and [ErrTenantExists]; invalid records are refused
// with [ErrInvalidTenant], naming the field.
package routing

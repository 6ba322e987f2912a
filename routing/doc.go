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
// (one backend for every tenant).
package routing

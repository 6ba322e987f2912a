'use strict';
// A minimal in-memory STU3 service on @asymmetrik/node-fhir-server-core: the
// node peer of bench/peers. It serves the Patients app's read and searches
// over the population bench/peers exports (data.json: resources by type),
// with the same semantics as the Go servers (family and given as
// case-insensitive substrings, identifier with or without a system, the
// clinical searches by patient, newest first where the app sorts by date,
// _count, Bundle.total), from indexes built at start-up: resources by id,
// by patient, sorted by date once. No authentication (the framework's
// default without passport configuration).
//
//   node server.js DATA.json PORT        # WORKERS=n forks n processes (default: one per core)

const cluster = require('node:cluster');
const fs = require('node:fs');
const os = require('node:os');

const [dataFile, portArg] = process.argv.slice(2);
const port = Number(portArg);
const workers = Number(process.env.WORKERS || os.cpus().length);

if (!dataFile || !port) {
  console.error('usage: node server.js DATA.json PORT');
  process.exit(2);
}

if (cluster.isPrimary && workers > 1) {
  let listening = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('listening', () => {
    if (++listening === workers) console.log(JSON.stringify({ port, workers }));
  });
  cluster.on('exit', (w, code) => {
    console.error(`worker ${w.process.pid} exited ${code}`);
    process.exit(1);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      for (const id in cluster.workers) cluster.workers[id].kill();
      process.exit(0);
    });
  }
  return;
}

const { initialize, loggers, constants } = require('@asymmetrik/node-fhir-server-core');
const { VERSIONS } = constants;

// node-fhir-server-core 2.2.5 ships the STU3 AllergyIntolerance controller
// and search parameters but leaves both out of its 3_0_1 indexes, so the
// resource cannot be served at all; put them where the router looks.
const core = '@asymmetrik/node-fhir-server-core/dist/server/resources/3_0_1';
const controllers3 = require(`${core}/controllers`);
const parameters3 = require(`${core}/parameters`);
controllers3.allergyintolerance ||= require(`${core}/controllers/allergyintolerance.controller.js`);
parameters3.allergyintolerance ||= require(`${core}/parameters/allergyintolerance.parameters.js`);

// ---- the data and its indexes ----------------------------------------------------------------

const data = JSON.parse(fs.readFileSync(dataFile, 'utf8'));
const byId = {}; // type -> id -> resource
const byPatient = {}; // type -> patient id -> [resources], newest first where the type has a date

const dateOf = {
  Observation: r => r.effectiveDateTime || (r.effectivePeriod && r.effectivePeriod.start) || '',
  Encounter: r => (r.period && r.period.start) || '',
  Condition: r => r.onsetDateTime || r.assertedDate || '',
  MedicationRequest: r => r.authoredOn || '',
  AllergyIntolerance: r => r.assertedDate || '',
  Coverage: () => '',
};

function patientOf(r) {
  const ref = (r.subject && r.subject.reference) || (r.patient && r.patient.reference) ||
    (r.beneficiary && r.beneficiary.reference) || '';
  return ref.startsWith('Patient/') ? ref.slice('Patient/'.length) : '';
}

for (const [type, list] of Object.entries(data)) {
  byId[type] = new Map();
  byPatient[type] = new Map();
  for (const r of list) {
    byId[type].set(r.id, r);
    if (type === 'Patient') continue;
    const p = patientOf(r);
    if (!byPatient[type].has(p)) byPatient[type].set(p, []);
    byPatient[type].get(p).push(r);
  }
  if (dateOf[type]) {
    const d = dateOf[type];
    for (const rs of byPatient[type].values()) rs.sort((a, b) => (d(a) < d(b) ? 1 : d(a) > d(b) ? -1 : 0));
  }
}

// ---- searchset Bundles ---------------------------------------------------------------------------

function bundle(req, type, matches, count) {
  const base = `${req.protocol}://${req.get('host')}/3_0_1`;
  const page = matches.slice(0, count);
  const b = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: matches.length,
    link: [{ relation: 'self', url: `${base}${req.originalUrl.slice('/3_0_1'.length)}` }],
    entry: page.map(r => ({ fullUrl: `${base}/${type}/${r.id}`, resource: r, search: { mode: 'match' } })),
  };
  if (matches.length > count) {
    b.link.push({ relation: 'next', url: `${base}/${type}?_getpagesoffset=${count}` });
  }
  return b;
}

function countOf(q, def) {
  const n = Number(q._count);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, 500) : def;
}

function patientParam(q) {
  const p = String(q.patient || '');
  return p.startsWith('Patient/') ? p.slice('Patient/'.length) : p;
}

function tokenMatches(codings, param) {
  const [sys, code] = param.includes('|') ? param.split('|', 2) : [null, param];
  return codings.some(c => c.code === code && (sys === null || (c.system || '') === sys));
}

// ---- services ------------------------------------------------------------------------------------

function clinical(type, defCount, filter) {
  return {
    search: async (args, { req }) => {
      const q = req.query;
      let rs = byPatient[type].get(patientParam(q)) || [];
      if (filter) rs = rs.filter(r => filter(r, q));
      return bundle(req, type, rs, countOf(q, defCount));
    },
    searchById: async args => byId[type].get(args.id),
  };
}

const services = {
  Patient: {
    search: async (args, { req }) => {
      const q = req.query;
      const family = q.family && String(q.family).toLowerCase();
      const given = q.given && String(q.given).toLowerCase();
      const ident = q.identifier && String(q.identifier);
      const id = q._id || q.id;
      const out = [];
      for (const p of byId.Patient.values()) {
        if (id && p.id !== id) continue;
        const names = p.name || [];
        if (family && !names.some(n => (n.family || '').toLowerCase().includes(family))) continue;
        if (given && !names.some(n => (n.given || []).some(g => g.toLowerCase().includes(given)))) continue;
        if (ident && !tokenMatches((p.identifier || []).map(i => ({ system: i.system, code: i.value })), ident)) continue;
        out.push(p);
      }
      return bundle(req, 'Patient', out, countOf(q, 20));
    },
    searchById: async args => byId.Patient.get(args.id),
  },
  Observation: clinical('Observation', 50, (r, q) => {
    if (!q.category) return true;
    const codings = (r.category || []).flatMap(c => c.coding || []);
    return tokenMatches(codings, String(q.category));
  }),
  Condition: clinical('Condition', 50),
  Encounter: clinical('Encounter', 50),
  AllergyIntolerance: clinical('AllergyIntolerance', 50),
  MedicationRequest: clinical('MedicationRequest', 50),
  Coverage: clinical('Coverage', 50),
};

const profiles = {};
for (const [name, service] of Object.entries(services)) {
  profiles[name.toLowerCase()] = { service, versions: [VERSIONS['3_0_1']] };
}

const server = initialize({
  profiles,
  logging: { level: 'error' },
  security: [],
  // No sessions: every request stands alone, as for the Go servers.
  server: { port },
});
loggers.get('default', {}).level = 'error';
server.listen(port, '127.0.0.1', () => {
  if (!cluster.isWorker) console.log(JSON.stringify({ port, workers: 1 }));
});

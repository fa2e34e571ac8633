// spotcheck in-browser verifier: a second implementation, written from docs/draw-protocol.md
// and docs/audit-format.md, independent of the server's Python code (src/spotcheck/draw/).
//
// It needs nothing but the browser: WebCrypto SHA-256 and Ed25519, TextEncoder, BigInt.
// Nothing is fetched from another host; nothing here is a library.
//
// Exports:
//   verifyTranscript(bytes, published?)  -> {ok, problems, checks}   (draw-protocol.md "Verifying")
//   verifyInclusion({checkpoint, proof, publicKeyPem})                (audit-format.md)
//
// `problems` are strings "<where>: <what>", where <where> names the transcript field the same
// way `spotcheck draw verify` does (e.g. "selection (A).picks[0]"), so the first difference
// found here is the first one the Python verifier reports.
//
// Structure (one function per section of docs/draw-protocol.md, in the order of "Verifying"):
//   §"Notation and encodings"   sha256, canonicalJson, populationDigest
//   §"The key string"           encodeSource, drawKey, extendKey
//   §"The selection loop"       counterBytes, pickIndex, rfc3797Picks
//   §"第一个随机"                sampleSize, stratum checks, batch order
//   §"第二个随机"                Matcher (eligibility, exclusions, teams, unmatched)
//   §"Replacement"              Matcher.replace
//   §"Verifying" 1-5            verifyTranscript
// Adapting to a new transcript format (e.g. pseudonyms in the public transcript) should only
// touch the section that changed.

const FORMAT = "spotcheck-draw-transcript";
const PUBLIC_FORMAT = "spotcheck-draw-transcript-public";
const VERSION = 1;
const HASH = "SHA-256";
const enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// §"Notation and encodings"
// ---------------------------------------------------------------------------------------------

/** SHA-256 of bytes (Uint8Array) -> Uint8Array(32), WebCrypto. */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function fromHex(hex) {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`not lower-case hex: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function sha256Hex(bytes) {
  return toHex(await sha256(bytes));
}

/** RFC 8785 (JCS) for the values a transcript holds: objects, arrays, strings, integers,
 * booleans, null. Keys sorted by UTF-16 code units (JS's default sort), strings escaped as
 * ECMAScript's JSON.stringify does, which is what RFC 8785 specifies. */
export function canonicalJson(v) {
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
    return String(v);
  }
  if (Array.isArray(v)) return "[" + v.map(canonicalJson).join(",") + "]";
  const keys = Object.keys(v).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(v[k])).join(",") + "}";
}

/** Population digest: H(key_1 LF key_2 LF ... key_n LF); the empty population hashes "". */
export async function populationDigest(subjects) {
  return sha256Hex(enc.encode(subjects.map((s) => s + "\n").join("")));
}

/** A subject key or text value: non-empty, no "/", no control character. */
function textProblem(value) {
  if (typeof value !== "string" || value.length === 0) return "a text value may not be empty";
  if (value.includes("/")) return `a text value may not contain '/': ${show(value)}`;
  for (const ch of value) {
    const o = ch.codePointAt(0);
    if (o < 0x20 || (o >= 0x7f && o <= 0x9f)) {
      return `a text value may not contain control characters: ${show(value)}`;
    }
  }
  return null;
}

// Code point order (which is the order of the UTF-8 bytes), as the protocol sorts keys and ids.
function cmpCodePoints(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function sortedUnique(values) {
  return [...new Set(values)].sort(cmpCodePoints);
}

function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function show(v) {
  return v === undefined ? "undefined" : canonicalJson(v);
}

// ---------------------------------------------------------------------------------------------
// §"The key string"
// ---------------------------------------------------------------------------------------------

/** One source: numbers sorted ascending, each "n."; or a text value "v."; then "/". */
export function encodeSource(value) {
  if (typeof value === "string") {
    const p = textProblem(value);
    if (p) throw new Error(p);
    return value + "./";
  }
  return [...value].sort((a, b) => a - b).map((n) => `${n}.`).join("") + "/";
}

/** K: every entropy value in the committed order, then the server seed as a text source. */
export function drawKey(entropy, serverSeed) {
  return entropy.map((e) => encodeSource(e.value)).join("") + encodeSource(serverSeed);
}

export function extendKey(key, ...sources) {
  return key + sources.map(encodeSource).join("");
}

// ---------------------------------------------------------------------------------------------
// §"The selection loop (RFC 3797)"
// ---------------------------------------------------------------------------------------------

/** C(j): 2 bytes big-endian below 65 536, else 4 bytes big-endian (below 2^32). */
export function counterBytes(j) {
  if (j >= 0 && j < 65536) return new Uint8Array([j >> 8, j & 0xff]);
  if (j < 2 ** 32) return new Uint8Array([j >>> 24, (j >>> 16) & 0xff, (j >>> 8) & 0xff, j & 0xff]);
  throw new Error(`pick counter ${j} is outside 0 … 2**32 - 1`);
}

/** H(C(j) ‖ key ‖ C(j)) as an unsigned big-endian integer, modulo r. */
export async function pickIndex(keyBytes, j, r) {
  if (r <= 0) throw new Error("no entries remain to pick from");
  const c = counterBytes(j);
  const d = await sha256(concat(c, keyBytes, c));
  return Number(BigInt("0x" + toHex(d)) % BigInt(r));
}

/** k picks from `entries` (original order kept among the remaining) with key string `key`. */
export async function rfc3797Picks(key, entries, k) {
  const keyBytes = enc.encode(key);
  const remaining = [...entries];
  const picks = [];
  for (let j = 0; j < k; j++) {
    const i = await pickIndex(keyBytes, j, remaining.length);
    picks.push(remaining.splice(i, 1)[0]);
  }
  return picks;
}

// ---------------------------------------------------------------------------------------------
// §"第一个随机: strata, sample size, batch order"
// ---------------------------------------------------------------------------------------------

const STRATUM_ID = /^[A-Za-z0-9_-]{1,64}$/;
const RATIO = /^(0|1)(\.[0-9]{1,12})?$/;

/** k for a population of n: count c -> min(c, n); ratio q -> ceil(q × n), exactly. */
export function sampleSize(n, count, ratio) {
  if (count !== null && count !== undefined) return Math.min(count, n);
  const [whole, frac = ""] = ratio.split(".");
  const num = BigInt(whole + frac) * BigInt(n);
  const den = 10n ** BigInt(frac.length);
  return Number((num + den - 1n) / den);
}

function stratumProblems(id, count, ratio, where) {
  const p = [];
  if (!STRATUM_ID.test(id)) p.push(`${where}: a stratum id is 1-64 characters A-Z a-z 0-9 _ -`);
  const hasCount = count !== null && count !== undefined;
  const hasRatio = ratio !== null && ratio !== undefined;
  if (hasCount === hasRatio) p.push(`${where}: give a count or a ratio, not both`);
  if (hasCount && !(Number.isSafeInteger(count) && count >= 0)) {
    p.push(`${where}.count: a whole number >= 0`);
  }
  if (hasRatio) {
    const ok = typeof ratio === "string" && RATIO.test(ratio);
    const value = ok ? Number(ratio) : NaN;
    if (!ok || !(value > 0 && value <= 1)) {
      p.push(`${where}.ratio: a decimal string with at most 12 decimals, 0 < q <= 1`);
    }
  }
  return p;
}

function populationProblems(subjects, where) {
  for (const s of subjects) {
    const t = textProblem(s);
    if (t) return [`${where}: ${t.replace("a text value", "a subject key")}`];
  }
  for (let i = 1; i < subjects.length; i++) {
    if (cmpCodePoints(subjects[i - 1], subjects[i]) >= 0) {
      return [`${where}: subject keys must be sorted ascending and unique`];
    }
  }
  return [];
}

/** Batch order: all labels, from the labels sorted ascending, with K ‖ "batches./". */
export async function batchOrder(key, batches) {
  const sorted = [...batches].sort(cmpCodePoints);
  return rfc3797Picks(extendKey(key, "batches"), sorted, sorted.length);
}

// ---------------------------------------------------------------------------------------------
// §"第二个随机: matching inspectors"
// ---------------------------------------------------------------------------------------------

const EXCLUDED = ["IN_TEAM", "REPLACED", "CONFLICT", "ROTATION", "WORKLOAD_CAP"];

function isOfficer(c) {
  return c.kind !== "EXPERT";
}

/** §"Eligible for the task": the first failing rule, or null. */
export function ineligibility(c, rules) {
  if (c.status !== "ACTIVE") return "INACTIVE";
  if (!rules.departments.includes(c.department)) return "OTHER_DEPARTMENT";
  let needed;
  if (isOfficer(c)) {
    const from = c.certificate_valid_from;
    const until = c.certificate_valid_until;
    // ISO dates compare as strings; both ends inclusive.
    if (from === null || until === null || !(from <= rules.start) || !(rules.end <= until)) {
      return "CERTIFICATE";
    }
    needed = rules.required_expertise[c.department] || [];
  } else {
    if (rules.experts_per_subject === 0) return "EXPERT_NOT_NEEDED";
    needed = rules.expert_expertise;
  }
  if (!needed.every((x) => c.expertise.includes(x))) return "EXPERTISE";
  return null;
}

function rulesProblems(rules, where) {
  const p = [];
  if (rules.departments.length === 0) p.push(`${where}.departments: at least one participating department`);
  if (new Set(rules.departments).size !== rules.departments.length) {
    p.push(`${where}.departments: a department is named twice`);
  }
  const floor = Math.max(2, rules.departments.length);
  if (rules.officers_per_subject < floor) {
    p.push(`${where}.officers_per_subject: ${rules.officers_per_subject} is below the floor ${floor}`);
  }
  if (rules.experts_per_subject < 0) p.push(`${where}.experts_per_subject: must be >= 0`);
  if (rules.end < rules.start) p.push(`${where}.end: the task ends before it starts`);
  if (rules.workload_cap !== null && rules.workload_cap < 1) p.push(`${where}.workload_cap: must be >= 1`);
  for (const d of Object.keys(rules.required_expertise)) {
    if (!rules.departments.includes(d)) p.push(`${where}.required_expertise: ${show(d)} is not a participating department`);
  }
  return p;
}

/** The matching state of one task: eligible pools (sorted by staff id) and workload so far.
 * Pools are plain filtered lists here (O(m) per pick); the server's Fenwick trees give the
 * same picks faster (§"The selection loop"). */
export class Matcher {
  constructor(key, candidates, rules) {
    this.key = key;
    this.rules = rules;
    this.byId = new Map(candidates.map((c) => [c.staff_id, c]));
    this.ineligible = {};
    this.deptIds = Object.fromEntries(rules.departments.map((d) => [d, []]));
    this.officerIds = [];
    this.expertIds = [];
    this.conflictsOf = new Map();
    const sorted = [...candidates].sort((a, b) => cmpCodePoints(a.staff_id, b.staff_id));
    for (const c of sorted) {
      const why = ineligibility(c, rules);
      if (why !== null) {
        this.ineligible[c.staff_id] = why;
        continue;
      }
      if (isOfficer(c)) {
        this.deptIds[c.department].push(c.staff_id);
        this.officerIds.push(c.staff_id);
      } else {
        this.expertIds.push(c.staff_id);
      }
      for (const x of c.conflicts) {
        if (!this.conflictsOf.has(x)) this.conflictsOf.set(x, []);
        this.conflictsOf.get(x).push(c.staff_id);
      }
    }
    this.assigned = new Map();
  }

  eligible(s) {
    return this.byId.has(s) && !(s in this.ineligible);
  }

  /** WORKLOAD_CAP: load + inspections assigned in this draw >= the cap. */
  capped(s) {
    const cap = this.rules.workload_cap;
    return cap !== null && this.byId.get(s).load + (this.assigned.get(s) || 0) >= cap;
  }

  count(s, delta) {
    this.assigned.set(s, (this.assigned.get(s) || 0) + delta);
  }

  /** The pool of a phase: its eligible ids (sorted) minus everyone excluded for the subject. */
  pool(ids, excluded) {
    return ids.filter((s) => !excluded.has(s) && !this.capped(s));
  }

  /** §"Unmatched subjects": counts by the first exclusion code that applies. */
  unmatched(subject, reason, department, needed, found, ids, team, replaced) {
    const conflicts = new Set(this.conflictsOf.get(subject.key) || []);
    const previous = new Set(subject.previous);
    const excluded = Object.fromEntries(EXCLUDED.map((e) => [e, 0]));
    for (const s of ids) {
      if (team.includes(s)) excluded.IN_TEAM += 1;
      else if (replaced.has(s)) excluded.REPLACED += 1;
      else if (conflicts.has(s)) excluded.CONFLICT += 1;
      else if (previous.has(s)) excluded.ROTATION += 1;
      else if (this.capped(s)) excluded.WORKLOAD_CAP += 1;
    }
    return { subject: subject.key, reason, department, needed, found, eligible: ids.length, excluded };
  }

  /** §"The team of one subject": key K ‖ "match:" x "./" ‖ "0./", one pick counter j. */
  async match(subject) {
    const rules = this.rules;
    const keyBytes = enc.encode(extendKey(this.key, `match:${subject.key}`, [0]));
    const excluded = new Set([...(this.conflictsOf.get(subject.key) || []), ...subject.previous]);
    const officers = [];
    const experts = [];
    let j = 0;
    const pick = async (ids) => {
      const pool = this.pool(ids, excluded);
      if (pool.length === 0) return null;
      const s = pool[await pickIndex(keyBytes, j, pool.length)];
      j += 1;
      excluded.add(s);
      return s;
    };
    // Phase 1: one officer of each participating department, in the task's order.
    for (const d of rules.departments) {
      const s = await pick(this.deptIds[d]);
      if (s === null) {
        return this.unmatched(subject, "NO_OFFICER_FROM_DEPARTMENT", d, 1, 0, this.deptIds[d], officers, new Set());
      }
      officers.push(s);
    }
    // Phase 2: officers of any participating department up to officers_per_subject.
    while (officers.length < rules.officers_per_subject) {
      const s = await pick(this.officerIds);
      if (s === null) {
        return this.unmatched(subject, "NOT_ENOUGH_OFFICERS", null, rules.officers_per_subject, officers.length, this.officerIds, officers, new Set());
      }
      officers.push(s);
    }
    // Phase 3: experts.
    while (experts.length < rules.experts_per_subject) {
      const s = await pick(this.expertIds);
      if (s === null) {
        return this.unmatched(subject, "NOT_ENOUGH_EXPERTS", null, rules.experts_per_subject, experts.length, this.expertIds, experts, new Set());
      }
      experts.push(s);
    }
    for (const s of [...officers, ...experts]) this.count(s, 1);
    return { subject: subject.key, lead: officers[0], officers, experts };
  }

  // -------------------------------------------------------------------------------------------
  // §"Replacement (replaceInspector)": counter c, one pick j = 0.
  // -------------------------------------------------------------------------------------------
  async replace(subject, team, staffId, reason, counter, replacedBefore) {
    let roleOfficer;
    if (team.officers.includes(staffId)) roleOfficer = true;
    else if (team.experts.includes(staffId)) roleOfficer = false;
    else throw new Error(`${show(staffId)} is not in the team of ${show(subject.key)}`);
    const members = [...team.officers, ...team.experts];
    const replaced = new Set([...replacedBefore, staffId]);
    let ids;
    let department = null;
    if (roleOfficer) {
      const c = this.byId.get(staffId);
      const dept = c ? c.department : null;
      const same = team.officers.filter(
        (s) => s !== staffId && this.byId.has(s) && this.byId.get(s).department === dept,
      );
      if (dept !== null && dept in this.deptIds && same.length === 0) {
        ids = this.deptIds[dept];
        department = dept;
      } else {
        ids = this.officerIds;
      }
    } else {
      ids = this.expertIds;
    }
    const excluded = new Set([
      ...members,
      ...replaced,
      ...(this.conflictsOf.get(subject.key) || []),
      ...subject.previous,
    ]);
    const pool = this.pool(ids, excluded);
    const keyBytes = enc.encode(extendKey(this.key, `match:${subject.key}`, [counter]));
    let replacement = null;
    let unmatched = null;
    if (pool.length > 0) {
      replacement = pool[await pickIndex(keyBytes, 0, pool.length)];
    } else {
      let why;
      let needed;
      let found;
      if (department !== null) [why, needed, found] = ["NO_OFFICER_FROM_DEPARTMENT", 1, 0];
      else if (roleOfficer) [why, needed, found] = ["NOT_ENOUGH_OFFICERS", this.rules.officers_per_subject, team.officers.length - 1];
      else [why, needed, found] = ["NOT_ENOUGH_EXPERTS", this.rules.experts_per_subject, team.experts.length - 1];
      const rest = members.filter((s) => s !== staffId);
      unmatched = this.unmatched(subject, why, department, needed, found, ids, rest, replaced);
    }
    if (this.eligible(staffId)) this.count(staffId, -1);
    if (replacement !== null) this.count(replacement, 1);
    const record = { subject: subject.key, counter, replaced: staffId, reason, replacement, unmatched };
    return [record, applyReplacement(team, record)];
  }
}

/** The team after a replacement: the new member takes the place (and the lead's role);
 * without one the member leaves and the lead passes to the first officer left. */
export function applyReplacement(team, record) {
  const out = record.replaced;
  const add = record.replacement;
  const swap = (ids) => (add === null ? ids.filter((s) => s !== out) : ids.map((s) => (s === out ? add : s)));
  let officers = team.officers;
  let experts = team.experts;
  if (officers.includes(out)) officers = swap(officers);
  else if (experts.includes(out)) experts = swap(experts);
  else throw new Error(`${show(out)} is not in the team of ${show(team.subject)}`);
  let lead = team.lead;
  if (lead === out) lead = add !== null ? add : officers.length ? officers[0] : null;
  return { subject: team.subject, lead, officers, experts };
}

// ---------------------------------------------------------------------------------------------
// §"Verifying": 1-5, in order; `published` (optional) adds the checks against the values the
// server published for this draw (its page), which the transcript alone cannot prove.
// ---------------------------------------------------------------------------------------------

const TRANSCRIPT_KEYS = [
  "assignments", "batch_order", "candidates", "commit", "commit_digest", "entropy", "format",
  "ineligible", "key", "populations", "previous_inspectors", "replacements", "selection",
  "server_seed", "unmatched", "version",
];

const PUBLIC_KEYS = [
  "batch_order", "commit", "commit_digest", "entropy", "format", "key", "populations",
  "pseudonym_key_id", "replacements", "selection", "server_seed", "teams", "transcript_digest",
  "unmatched", "version",
];

function compareList(p, where, expected, actual, limit = 5) {
  if (expected.length !== actual.length) {
    p.push(`${where}: ${actual.length} entries; the recomputation gives ${expected.length}`);
  }
  let shown = 0;
  for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
    if (canonicalJson(expected[i]) !== canonicalJson(actual[i])) {
      if (shown < limit) p.push(`${where}[${i}]: transcript has ${show(actual[i])}; recomputed ${show(expected[i])}`);
      shown += 1;
    }
  }
  if (shown > limit) p.push(`${where}: ${shown - limit} more differences`);
}

/** The checks of docs/draw-protocol.md "Verifying", in its order. Returns the problems. */
async function recompute(t, checks) {
  const p = [];
  const c = t.commit;
  // 1. format, version, hash, commit digest.
  // The public form (draw-protocol.md "The public transcript and the full transcript") has no
  // candidates and names inspectors by pseudonym: everything but the matching is checked alike.
  const pub = t !== null && typeof t === "object" && t.format === PUBLIC_FORMAT;
  const form = pub ? PUBLIC_FORMAT : FORMAT;
  const keys = Object.keys(t).sort();
  if (!sameList(keys, pub ? PUBLIC_KEYS : TRANSCRIPT_KEYS) || typeof c !== "object" || c === null) {
    return [`format: not a ${form} transcript (fields ${keys.join(", ")})`];
  }
  if (t.format !== form || t.version !== VERSION || c.format !== FORMAT || c.version !== VERSION) {
    return [`format: this verifier reads ${form} version ${VERSION}`];
  }
  if (pub && !/^[0-9a-f]{64}$/.test(t.transcript_digest)) {
    return ["transcript_digest: 64 lower-case hex digits"];
  }
  if (c.hash !== HASH) return [`commit.hash: draws use ${HASH}, not ${show(c.hash)}`];
  if ((await sha256Hex(enc.encode(canonicalJson(c)))) !== t.commit_digest) {
    p.push("commit_digest: not the SHA-256 of the commit (the commit was altered)");
  }
  checks.push("commit_digest");
  // 2. populations against the commit.
  const ids = c.strata.map((s) => s.id);
  if (!sameList(t.populations.map((x) => x.stratum), ids)) {
    return [...p, "populations: must list the committed strata in the committed order"];
  }
  let goodStrata = true;
  for (let i = 0; i < ids.length; i++) {
    const sc = c.strata[i];
    const pop = t.populations[i].subjects;
    const where = `populations (${sc.id})`;
    const sp = [
      ...stratumProblems(sc.id, sc.count, sc.ratio, `commit.strata (${sc.id})`),
      ...populationProblems(pop, where),
    ];
    if (sp.length === 0) {
      if (pop.length !== sc.size) sp.push(`${where}: ${pop.length} subjects; the commit says ${sc.size}`);
      if ((await populationDigest(pop)) !== sc.digest) sp.push(`${where}: digest differs from the committed one`);
      const k = sampleSize(pop.length, sc.count, sc.ratio);
      if (k !== sc.k) sp.push(`commit.strata (${sc.id}).k: ${sc.k}; the rule gives ${k}`);
    }
    goodStrata = goodStrata && sp.length === 0;
    p.push(...sp);
  }
  if (!goodStrata) return p;
  if (ids.length === 0) p.push("strata: at least one stratum");
  if (!sameList(ids, sortedUnique(ids))) p.push("strata: ids must be distinct and in ascending order");
  const all = t.populations.flatMap((x) => x.subjects);
  if (new Set(all).size !== all.length) p.push("strata: a subject is in more than one stratum");
  checks.push("populations");
  // Sources and batches as committed.
  const names = c.sources.map((s) => s.name);
  if (names.length === 0) p.push("sources: name at least one public entropy source");
  if (names.some((n) => !n.trim())) p.push("sources: a source needs a name");
  if (new Set(names).size !== names.length) p.push("sources: source names must be distinct");
  for (const b of c.batches) {
    const bp = textProblem(b);
    if (bp) p.push(`commit.batches: ${bp}`);
  }
  if (new Set(c.batches).size !== c.batches.length) p.push("commit.batches: batch labels must be distinct");
  // 3. candidates and rules.
  let matchable = c.rules !== null && rulesProblems(c.rules, "rules").length === 0;
  if (c.rules !== null) p.push(...rulesProblems(c.rules, "commit.rules"));
  if (!pub) {
    const staff = t.candidates.map((x) => x.staff_id);
    if (new Set(staff).size !== staff.length) {
      p.push("candidates: a staff id is listed twice");
      matchable = false;
    }
    if (!sameList(staff, [...staff].sort(cmpCodePoints))) p.push("candidates: must be listed by ascending staff id");
    if ((await sha256Hex(enc.encode(canonicalJson(t.candidates)))) !== c.candidates_digest) {
      p.push("candidates: digest differs from the committed one");
    }
    checks.push("candidates");
  }
  // 4. seed and entropy.
  if (typeof t.server_seed !== "string" || !/^[0-9a-f]{64}$/.test(t.server_seed)) {
    return [...p, "server_seed: 64 lower-case hex digits"];
  }
  if ((await sha256Hex(fromHex(t.server_seed))) !== c.commitment) {
    p.push("server_seed: SHA-256 of the seed is not the commitment");
  }
  checks.push("server_seed");
  if (!sameList(t.entropy.map((e) => e.name), names)) {
    return [...p, "entropy: the values must name the committed sources, in the committed order"];
  }
  const ep = [];
  c.sources.forEach((s, i) => {
    const v = t.entropy[i].value;
    const where = `entropy[${i}] (${s.name})`;
    if (s.kind === "TEXT") {
      if (typeof v !== "string") ep.push(`${where}: a TEXT source's value is one string`);
      else if (textProblem(v)) ep.push(`${where}: ${textProblem(v)}`);
    } else if (typeof v === "string" || !Array.isArray(v) || v.length === 0) {
      ep.push(`${where}: a NUMBERS source's value is a non-empty list of integers`);
    } else if (v.some((n) => !Number.isSafeInteger(n) || n < 0)) {
      ep.push(`${where}: numbers must be integers from 0 to 2**53 - 1`);
    }
  });
  if (ep.length) return [...p, ...ep];
  // 5. key, picks, batch order, ineligible, assignments, unmatched, replacements.
  const key = drawKey(t.entropy, t.server_seed);
  if (key !== t.key) p.push(`key: transcript has ${show(t.key)}; the entropy and seed give ${show(key)}`);
  checks.push("key");
  const selection = [];
  for (let i = 0; i < ids.length; i++) {
    const sc = c.strata[i];
    const picks = await rfc3797Picks(extendKey(key, `stratum:${sc.id}`), t.populations[i].subjects, sc.k);
    selection.push({ stratum: sc.id, k: sc.k, picks });
  }
  if (!sameList(t.selection.map((s) => s.stratum), ids)) {
    p.push("selection: must list the committed strata in the committed order");
  } else {
    selection.forEach((e, i) => {
      const a = t.selection[i];
      if (a.k !== e.k) p.push(`selection (${e.stratum}).k: ${a.k}; the commit says ${e.k}`);
      compareList(p, `selection (${e.stratum}).picks`, e.picks, a.picks);
    });
  }
  checks.push("selection");
  compareList(p, "batch_order", await batchOrder(key, c.batches), t.batch_order);
  checks.push("batch_order");
  const order = selection.flatMap((s) => s.picks);
  const drawn = new Set(order);
  if (pub) {
    if (c.rules === null) {
      if (t.teams.length || t.unmatched.length || t.replacements.length) {
        p.push("teams: the commit has no matching rules, so no teams");
      }
      return p;
    }
    if (!matchable || p.length) return p;
    p.push(...(await publicMatching(t, key, order, c.rules)));
    checks.push("assignments", "replacements");
    return p;
  }
  for (const [x, ids2] of Object.entries(t.previous_inspectors)) {
    if (!drawn.has(x)) p.push(`previous_inspectors: ${show(x)} was not drawn`);
    else if (!ids2.length || !sameList(ids2, sortedUnique(ids2))) {
      p.push(`previous_inspectors (${x}): staff ids sorted, unique, non-empty`);
    }
  }
  if (c.rules === null) {
    if (t.assignments.length || t.unmatched.length || t.replacements.length || Object.keys(t.ineligible).length) {
      p.push("assignments: the commit has no matching rules, so no assignments");
    }
    return p;
  }
  if (!matchable) return p;
  const subjects = order.map((x) => ({ key: x, previous: t.previous_inspectors[x] || [] }));
  const matcher = new Matcher(key, t.candidates, c.rules);
  const assignments = [];
  const unmatched = [];
  for (const s of subjects) {
    const r = await matcher.match(s);
    if ("lead" in r) assignments.push(r);
    else unmatched.push(r);
  }
  if (canonicalJson(matcher.ineligible) !== canonicalJson(t.ineligible)) {
    p.push("ineligible: differs from the recomputation");
  }
  compareList(p, "assignments", assignments, t.assignments);
  compareList(p, "unmatched", unmatched, t.unmatched);
  checks.push("assignments");
  if (p.length) return p;
  const teams = new Map(assignments.map((a) => [a.subject, a]));
  const records = new Map(subjects.map((s) => [s.key, s]));
  const done = new Map();
  for (let i = 0; i < t.replacements.length; i++) {
    const r = t.replacements[i];
    const where = `replacements[${i}]`;
    const team = teams.get(r.subject);
    if (!team) return [...p, `${where}: subject ${show(r.subject)} has no team`];
    if (!done.has(r.subject)) done.set(r.subject, []);
    const earlier = done.get(r.subject);
    let expected;
    let newTeam;
    try {
      [expected, newTeam] = await matcher.replace(records.get(r.subject), team, r.replaced, r.reason, earlier.length + 1, earlier);
    } catch (err) {
      return [...p, `${where}: ${err.message}`];
    }
    if (canonicalJson(expected) !== canonicalJson(r)) {
      return [...p, `${where}: transcript has ${show(r)}; recomputed ${show(expected)}`];
    }
    earlier.push(r.replaced);
    teams.set(r.subject, newTeam);
  }
  checks.push("replacements");
  return p;
}

/** One pick of the public form: its counter, and its index recomputed for its pool's size. */
async function pickProblems(where, keyBytes, step, j) {
  if (step.j !== j) return [`${where}.j: ${step.j}; expected ${j}`];
  if (!Number.isSafeInteger(step.pool) || step.pool < 1 || !Number.isSafeInteger(step.index) || step.index < 0 || step.index >= step.pool) {
    return [`${where}: index ${step.index} is not in a pool of ${step.pool}`];
  }
  const index = await pickIndex(keyBytes, j, step.pool);
  if (index !== step.index) return [`${where}.index: transcript has ${step.index}; recomputed ${index}`];
  return [];
}

/** draw-protocol.md "What anyone checks": teams, unmatched records and replacements. */
async function publicMatching(t, key, order, rules) {
  const p = [];
  const officers = rules.officers_per_subject;
  const experts = rules.experts_per_subject;
  const departments = rules.departments;
  const teamSubjects = t.teams.map((x) => x.subject);
  const unmatchedSubjects = t.unmatched.map((x) => x.subject);
  const inTeams = new Set(teamSubjects);
  const inUnmatched = new Set(unmatchedSubjects);
  if (
    teamSubjects.length + unmatchedSubjects.length !== order.length ||
    !sameList(teamSubjects, order.filter((x) => inTeams.has(x))) ||
    !sameList(unmatchedSubjects, order.filter((x) => inUnmatched.has(x))) ||
    order.some((x) => !inTeams.has(x) && !inUnmatched.has(x))
  ) {
    return ["teams, unmatched: every drawn subject once, in draw order"];
  }
  const teams = new Map();
  for (let i = 0; i < t.teams.length; i++) {
    const team = t.teams[i];
    const where = `teams[${i}] (${team.subject})`;
    const keyBytes = enc.encode(extendKey(key, `match:${team.subject}`, [0]));
    for (let j = 0; j < team.picks.length; j++) p.push(...(await pickProblems(`${where}.picks[${j}]`, keyBytes, team.picks[j], j)));
    const names = team.picks.map((s) => s.pick);
    if (names.length !== officers + experts || new Set(names).size !== names.length) {
      p.push(`${where}.picks: ${officers + experts} different people`);
    } else if (!sameList(team.officers, names.slice(0, officers)) || !sameList(team.experts, names.slice(officers)) || team.lead !== names[0]) {
      p.push(`${where}: the team is not the picks (officers, then experts; lead first)`);
    }
    teams.set(team.subject, { subject: team.subject, lead: team.lead, officers: [...team.officers], experts: [...team.experts] });
  }
  for (let i = 0; i < t.unmatched.length; i++) {
    const u = t.unmatched[i];
    const where = `unmatched[${i}] (${u.subject})`;
    const keyBytes = enc.encode(extendKey(key, `match:${u.subject}`, [0]));
    for (let j = 0; j < u.picks.length; j++) p.push(...(await pickProblems(`${where}.picks[${j}]`, keyBytes, u.picks[j], j)));
    const n = u.picks.length;
    let want;
    if (n < departments.length) want = ["NO_OFFICER_FROM_DEPARTMENT", departments[n], 1, 0];
    else if (n < officers) want = ["NOT_ENOUGH_OFFICERS", null, officers, n];
    else want = ["NOT_ENOUGH_EXPERTS", null, experts, n - officers];
    if (!sameList([u.reason, u.department, u.needed, u.found], want) || n >= officers + experts) {
      p.push(`${where}: the reason does not follow from the picks made`);
    }
  }
  const gone = new Map();
  for (let i = 0; i < t.replacements.length; i++) {
    const r = t.replacements[i];
    const where = `replacements[${i}]`;
    const team = teams.get(r.subject);
    if (!gone.has(r.subject)) gone.set(r.subject, []);
    const before = gone.get(r.subject);
    if (!team || ![...team.officers, ...team.experts].includes(r.replaced)) {
      return [...p, `${where}: ${show(r.replaced)} is not in the team of ${show(r.subject)}`];
    }
    if (r.counter !== before.length + 1) return [...p, `${where}.counter: ${r.counter}; expected ${before.length + 1}`];
    if (r.pick === null) {
      if (r.replacement !== null || r.unmatched === null) return [...p, `${where}: without a pick, no replacement and a reason`];
    } else {
      const keyBytes = enc.encode(extendKey(key, `match:${r.subject}`, [r.counter]));
      p.push(...(await pickProblems(`${where}.pick`, keyBytes, r.pick, 0)));
      const members = new Set([...team.officers, ...team.experts, ...before]);
      if (r.replacement !== r.pick.pick || members.has(r.replacement) || r.unmatched !== null) {
        return [...p, `${where}: the replacement is not the pick, or was excluded`];
      }
    }
    before.push(r.replaced);
    teams.set(r.subject, applyReplacement(team, r));
  }
  return p;
}

/**
 * Verify a transcript's bytes (Uint8Array). `published` (optional), as the server published
 * them for this draw: {transcriptDigest, commitDigest, commitment, entropy: [{name, value}],
 * serverSeed}. Returns {ok, problems, checks, transcript}.
 */
export async function verifyTranscript(bytes, published = null) {
  const checks = [];
  let t;
  try {
    t = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    return { ok: false, problems: [`format: not JSON: ${err.message}`], checks, transcript: null };
  }
  let problems;
  try {
    problems = await recompute(t, checks);
  } catch (err) {
    problems = [`transcript cannot be recomputed: ${err.message}`];
  }
  if (published) {
    // What the transcript alone cannot prove (draw-protocol.md, end of "Verifying"): compare
    // with what this site published for the draw at commit and execution.
    const digest = await sha256Hex(bytes);
    const pub = t && t.format === PUBLIC_FORMAT;
    // A public transcript names the full one's digest (the ledger's); the file's own digest is
    // the one published for the public transcript.
    const full = pub ? t.transcript_digest : digest;
    if (published.transcriptDigest && full !== published.transcriptDigest) {
      problems.push(`published transcriptDigest: the ${pub ? "transcript names" : "file hashes to"} ${full}; published ${published.transcriptDigest}`);
    }
    if (pub && published.publicTranscriptDigest && digest !== published.publicTranscriptDigest) {
      problems.push(`published publicTranscript.digest: the file hashes to ${digest}; published ${published.publicTranscriptDigest}`);
    }
    if (t && published.commitDigest && t.commit_digest !== published.commitDigest) {
      problems.push(`published commitDigest: transcript has ${show(t.commit_digest)}; published at commit ${show(published.commitDigest)}`);
    }
    if (t && t.commit && published.commitment && t.commit.commitment !== published.commitment) {
      problems.push(`published commitment: transcript has ${show(t.commit.commitment)}; published ${show(published.commitment)}`);
    }
    if (t && published.entropy && canonicalJson(t.entropy) !== canonicalJson(published.entropy)) {
      problems.push(`published entropy: transcript has ${show(t.entropy)}; published ${show(published.entropy)}`);
    }
    if (t && published.serverSeed && t.server_seed !== published.serverSeed) {
      problems.push(`published serverSeed: transcript has ${show(t.server_seed)}; revealed ${show(published.serverSeed)}`);
    }
    checks.push("published");
  }
  return { ok: problems.length === 0, problems, checks, transcript: t };
}

// ---------------------------------------------------------------------------------------------
// docs/audit-format.md: signed checkpoints and inclusion proofs (RFC 9162)
// ---------------------------------------------------------------------------------------------

const ORIGIN = "spotcheck/ledger";
const SPKI_ED25519_PREFIX = "302a300506032b6570032100";

export function base64ToBytes(b64) {
  const bin = atob(b64);
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

export function bytesToBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/** The 32 raw key bytes of an Ed25519 SubjectPublicKeyInfo PEM (or base64 of 32 raw bytes). */
export function rawPublicKey(text) {
  const body = text.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  const der = base64ToBytes(body);
  if (der.length === 32) return der;
  if (der.length !== 44 || toHex(der.slice(0, 12)) !== SPKI_ED25519_PREFIX) {
    throw new Error("not an Ed25519 public key (SubjectPublicKeyInfo PEM or 32 raw bytes)");
  }
  return der.slice(12);
}

/** §"Signed checkpoints": the signed text. */
export function checkpointBody(treeSize, rootHex, signedAt) {
  return `${ORIGIN}\n${treeSize}\n${bytesToBase64(fromHex(rootHex))}\ntime ${signedAt}\n`;
}

/** Key id: first 4 bytes of SHA-256(origin ‖ LF ‖ 0x01 ‖ key), hex. */
export async function keyId(raw) {
  const d = await sha256(concat(enc.encode(ORIGIN + "\n"), new Uint8Array([1]), raw));
  return toHex(d.slice(0, 4));
}

async function nodeHash(left, right) {
  return sha256(concat(new Uint8Array([1]), left, right));
}

/** RFC 9162 §2.1.3.2: the root an audit path gives for a leaf, or an error. */
export async function rootFromInclusion(leafIndex, treeSize, leafHash, path) {
  if (!(leafIndex < treeSize)) throw new Error("leaf index outside the tree");
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) throw new Error("the audit path is longer than the tree allows");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error("the audit path is shorter than the tree needs");
  return r;
}

/**
 * Check a checkpoint's signature and an inclusion proof against it.
 * checkpoint: {treeSize, rootHash (hex), signedAt, signature (base64), keyId, body}
 * proof: {leafIndex, treeSize, leafHash (hex), auditPath [hex]}
 * Returns {ok, steps: [{name, ok, detail}]}; stops at the first failing step.
 */
export async function verifyInclusion({ checkpoint, proof, publicKeyPem }) {
  const steps = [];
  const step = (name, ok, detail) => {
    steps.push({ name, ok, detail });
    return ok;
  };
  const done = () => ({ ok: steps.every((s) => s.ok), steps });
  let raw;
  try {
    raw = rawPublicKey(publicKeyPem);
  } catch (err) {
    step("key", false, err.message);
    return done();
  }
  const kid = await keyId(raw);
  if (!step("key id", kid === checkpoint.keyId, `key ${kid}; checkpoint names ${checkpoint.keyId}`)) return done();
  const body = checkpointBody(checkpoint.treeSize, checkpoint.rootHash, checkpoint.signedAt);
  if (!step("body", body === checkpoint.body, "the signed text is rebuilt from tree size, root and time")) return done();
  let valid = false;
  try {
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    valid = await crypto.subtle.verify({ name: "Ed25519" }, key, base64ToBytes(checkpoint.signature), enc.encode(body));
  } catch (err) {
    step("signature", false, `Ed25519 unavailable or malformed: ${err.message}`);
    return done();
  }
  if (!step("signature", valid, "Ed25519 over the checkpoint body")) return done();
  if (!step("tree size", proof.treeSize === checkpoint.treeSize, `proof for ${proof.treeSize}; checkpoint ${checkpoint.treeSize}`)) return done();
  let root;
  try {
    root = await rootFromInclusion(proof.leafIndex, proof.treeSize, fromHex(proof.leafHash), proof.auditPath.map(fromHex));
  } catch (err) {
    step("audit path", false, err.message);
    return done();
  }
  step("root", toHex(root) === checkpoint.rootHash, `path gives ${toHex(root)}; signed root ${checkpoint.rootHash}`);
  return done();
}

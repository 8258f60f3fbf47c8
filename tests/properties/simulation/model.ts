/**
 * What a simulated schedule is made of, the fast-check arbitraries that generate it, and how it
 * prints. A schedule is plain data (no functions, no ids): fast-check can shrink it, print it and
 * replay it from a seed and a path, and the runner (`run.ts`) interprets it step by step.
 *
 * Indices into "the records a device holds" or "the mentees on the server" are taken modulo the
 * current count when the step runs, so a shrunk schedule stays meaningful when steps before it
 * disappear.
 */
import fc from 'fast-check'

/** The accounts a device can belong to (see `server.ts`): two coaches of team A, a coach of team B, a Pate of team A. */
export const PERSONAS = ['coach1', 'coach2', 'coachB', 'pate1'] as const
export type Persona = (typeof PERSONAS)[number]

/** Which devices take part: each is one sign-in; `coach1` twice is one user on two devices. */
export const ROSTERS: readonly (readonly Persona[])[] = [
  ['coach1', 'coach2', 'pate1'],
  ['coach1', 'pate1'],
  ['coach1', 'coach2'],
  ['coach1', 'coach1', 'pate1'],
  ['coach1', 'coachB', 'pate1'],
]

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

// ---------------------------------------------------------------------------------------------
// Network faults: each applies to one request of a `sync` step, in the order syncOnce sends them.

export type Fault =
  | { kind: 'ok' }
  /** Never reaches the server; the client sees a network error. */
  | { kind: 'requestLost' }
  /** The server commits; the answer never arrives (connection dropped, client timed out). */
  | { kind: 'responseLost' }
  /** The network delivers the request twice; the client sees one of the two answers. */
  | { kind: 'duplicate'; answer: 'first' | 'second' }
  /** The request is held in the network and delivered later, after other devices' requests; the client times out. */
  | { kind: 'reorder' }
  /** Arrives `ms` late (the server's clock moves on); from 30 s the client has given up (its timeout). */
  | { kind: 'delay'; ms: number }
  /** A proxy or an overloaded server answers 5xx without the app having run. */
  | { kind: 'serverError'; status: 500 | 502 | 503 }
  /** The server commits, then a proxy gives up and answers 504. */
  | { kind: 'gatewayTimeout' }
  /** The answer is cut off mid-body (the JSON does not parse). */
  | { kind: 'truncatedBody' }
  /** A pull asks for a smaller page than the app did, so pages end early and `hasMore` is followed. */
  | { kind: 'shortPage'; limit: number }
  /** The server commits, then the device dies before handling the answer; it restarts from what IndexedDB committed. */
  | { kind: 'crash' }
  /**
   * The user edits while the sync runs, just before this request goes out: after a push read its
   * batch, or before a pulled page is applied (the page must not overwrite the pending write).
   */
  | { kind: 'editDuringSync'; edit: EditDuringSync }

/** Edits a user may make while a sync runs (not `restore`: it asks the endpoint itself). */
export type EditDuringSync = Extract<Edit, { op: 'updateMentee' | 'updateNote' | 'deleteNote' | 'tick' | 'createNote' }>

export type NetworkFaultKind = Exclude<Fault['kind'], 'ok'>

/**
 * Every kind of fault the simulation injects, as the report names it; the quick run must inject
 * each at least once. The network's (above) are counted by the transport where they happen (a
 * fault planned for a request that was never sent does not count), the rest by the runner.
 */
export const FAULT_KINDS = {
  requestLost: 'request lost',
  responseLost: 'response lost after the server committed',
  duplicate: 'duplicated delivery',
  reorder: 'reordering (held, delivered later)',
  delay: 'delay (the server clock moves on)',
  serverError: '5xx from a proxy, app not reached',
  gatewayTimeout: '504 timeout after the server committed',
  truncatedBody: 'answer cut off mid-body',
  shortPage: 'pull page cut short (smaller limit)',
  crash: 'crash inside a sync, after the server committed',
  editDuringSync: 'local edit while a sync runs (between its requests)',
  crashAfterWrite: 'crash between a local write and the next step',
  clockSkewDays: 'device clock skewed by days (devices, changes)',
  offlinePastHorizon: 'device offline beyond the tombstone horizon',
  resetRequired: '  ... pulls answered reset_required',
  accessChangeWhileOffline: "assignment/share changed while the Pate's device was offline",
  editShared: 'edit of a shared record',
  concurrentEdit: '  ... of the same field on two devices before either syncs',
  deleteShared: 'delete of a shared record',
  restore: 'restore of a value that lost a conflict',
  erasureWhileOffline: 'erasure (Art. 17) of a mentee while a device is offline',
  erasureOfConflicts: '  ... of a mentee with conflict-log entries',
  editErasedOffline: '  ... then that device edits the erased records offline',
} as const satisfies Record<NetworkFaultKind, string> & Record<string, string>

export type FaultKind = keyof typeof FAULT_KINDS

/**
 * Faults the issue asks for that the endpoint cannot take yet (none left: erasure landed and is
 * the `erase` step). The report lists any entry here as "not yet".
 */
export const PENDING_FAULT_KINDS: Record<string, string> = {}

// ---------------------------------------------------------------------------------------------
// Local edits, all through the app's repositories (so outbox entries and stamps are the real ones).

export const MENTEE_FIELDS_EDITED = ['phone', 'stage', 'schoolClass', 'givenName', 'residenceStatus', 'permitExpiry'] as const
export type EditedMenteeField = (typeof MENTEE_FIELDS_EDITED)[number]

/** Small value pools, so that devices often write the same value (equal values lose nothing). */
export const POOLS = {
  givenName: ['Amira', 'Bilal', 'Chen', 'Dana'],
  familyName: ['Yilmaz', 'Haddad', 'Nowak'],
  phone: ['', '+49 5261 1001', '+49 5261 1002', '+49 5261 1003'],
  stage: ['firstContact', 'accompanied', 'internshipEq', 'trainingJob'],
  schoolClass: ['', '9a', '10b'],
  residenceStatus: [null, 'residencePermit', 'toleratedStay'],
  permitExpiry: ['', '2026-03-31', '2027-06-30'],
  noteText: ['Erstgespräch', 'Telefonat Jobcenter', 'Bewerbung geschrieben', 'Praktikum gefunden'],
  place: ['Rathaus', 'Jobcenter Lemgo', 'Berufskolleg'],
  // The first is what the seed uses: four checklist items, not seven, keeps every schedule smaller.
  appointmentType: ['languageCourse', 'jobcenter', 'immigrationOffice'],
  label: ['Pass', 'Foto', 'Lebenslauf'],
} as const

export type Edit =
  | { op: 'createMentee'; name: number }
  | { op: 'updateMentee'; target: number; field: EditedMenteeField; value: number }
  | { op: 'deleteMentee'; target: number }
  | { op: 'createNote'; mentee: number; text: number }
  | { op: 'updateNote'; target: number; field: 'text' | 'followUpDone'; value: number }
  | { op: 'deleteNote'; target: number }
  | { op: 'createAppointment'; mentee: number; type: number }
  | { op: 'updateAppointment'; target: number; place: number }
  | { op: 'deleteAppointment'; target: number }
  | { op: 'tick'; target: number; done: boolean }
  | { op: 'addChecklistItem'; appointment: number; label: number }
  | { op: 'deleteChecklistItem'; target: number }
  /** Restores one of the user's values that lost a conflict (the conflict inbox's "restore"). */
  | { op: 'restore'; pick: number }

/** The edits a `race` step makes on both devices; the second device writes the next value of the pool. */
export type RaceEdit = Extract<Edit, { op: 'updateMentee' | 'updateNote' }>

export type AccessChangeKind = 'assign' | 'unassign' | 'share' | 'unshare'

export type Step = { dt: number } & (
  | { kind: 'edit'; device: number; edit: Edit; crashAfter: boolean }
  | { kind: 'sync'; device: number; faults: Fault[] }
  /**
   * Two devices edit the same field of the same record, one after the other, before either
   * syncs: a conflict whichever of them pushes first (the later sync steps decide the order).
   * `thenSync`: the second syncs at once, then the first, whose value loses and is logged, so
   * that a later `restore` step has something to restore.
   */
  | { kind: 'race'; first: number; second: number; edit: RaceEdit; thenSync: boolean }
  /** The device's wall clock is set `skewMs` away from true time (the user, or a flat battery). */
  | { kind: 'skew'; device: number; skewMs: number }
  | { kind: 'offline'; device: number; offline: boolean }
  /** The network finally delivers one request it held back (`reorder`). */
  | { kind: 'deliverHeld'; pick: number }
  /** An administrator changes what the Pate may see, whether or not the Pate's device is online. */
  | { kind: 'access'; change: AccessChangeKind; mentee: number }
  /**
   * The device goes offline; meanwhile another device deletes a note or a mentee (`deleteBy`,
   * when that is another device: a deletion the absent device has not seen), the server's clock
   * jumps past the tombstone horizon and the purge runs.
   */
  | { kind: 'horizon'; device: number; deleteBy: number; deletes: 'notes' | 'mentees'; target: number; extraDays: number }
  /**
   * Erasure (GDPR Art. 17) on the server, by a coach of the mentee's team (through
   * `eraseMentee`, as the endpoint runs it), while `device` is offline: the mentee is the
   * `mentee`-th one that device holds (else the server's). `conflictFirst`: before it goes
   * offline, it and another device race on the mentee's phone and sync (a conflict-log entry the
   * erasure must delete). `thenEdit`: the offline device goes on editing the erased mentee (a
   * field, a new note) before it ever hears of the erasure.
   */
  | { kind: 'erase'; device: number; mentee: number; conflictFirst: boolean; thenEdit: boolean }
)

export interface Schedule {
  roster: number
  /** Initial wall-clock skew per device (ms); a device uses `skews[index % length]`. */
  skews: number[]
  /** Mentees the first device creates (and everybody syncs) before the schedule starts. */
  seedMentees: number
  /** Whether the Pate starts assigned to (and shared) the first seeded mentee. */
  seedAssign: 'none' | 'assigned' | 'shared'
  steps: Step[]
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const skewArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  // Within the endpoint's tolerance (5 minutes): stamps are taken as they are.
  { weight: 2, arbitrary: fc.integer({ min: -4 * MINUTE, max: 4 * MINUTE }) },
  // Days off in either direction: ahead is clamped by the endpoint, behind is caught up by the HLC.
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0).map((d) => d * DAY + 17 * MINUTE) },
)

const pick = fc.nat({ max: 7 })
// Few fields, most edits on two of them: concurrent edits of one field (conflicts) need contention.
const menteeFieldArb: fc.Arbitrary<EditedMenteeField> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('phone' as const) },
  { weight: 3, arbitrary: fc.constant('residenceStatus' as const) },
  { weight: 1, arbitrary: fc.constantFrom(...MENTEE_FIELDS_EDITED) },
)
const poolIndex = fc.nat({ max: 3 })

const editDuringSyncArb: fc.Arbitrary<EditDuringSync> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('updateMentee' as const), target: pick, field: menteeFieldArb, value: poolIndex }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('updateNote' as const), target: pick, field: fc.constant('text' as const), value: poolIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteNote' as const), target: pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('createNote' as const), mentee: pick, text: poolIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), target: pick, done: fc.boolean() }) },
)

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Fault>({ kind: 'ok' }) },
  { weight: 2, arbitrary: fc.constant<Fault>({ kind: 'requestLost' }) },
  { weight: 2, arbitrary: fc.constant<Fault>({ kind: 'responseLost' }) },
  { weight: 2, arbitrary: fc.constantFrom<'first' | 'second'>('first', 'second').map((answer): Fault => ({ kind: 'duplicate', answer })) },
  { weight: 2, arbitrary: fc.constant<Fault>({ kind: 'reorder' }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 90 }).map((s): Fault => ({ kind: 'delay', ms: s * 1000 })) },
  { weight: 1, arbitrary: fc.constantFrom<500 | 502 | 503>(500, 502, 503).map((status): Fault => ({ kind: 'serverError', status })) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'gatewayTimeout' }) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'truncatedBody' }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }).map((limit): Fault => ({ kind: 'shortPage', limit })) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'crash' }) },
  { weight: 2, arbitrary: editDuringSyncArb.map((edit): Fault => ({ kind: 'editDuringSync', edit })) },
)

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('createMentee' as const), name: poolIndex }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('updateMentee' as const), target: pick, field: menteeFieldArb, value: poolIndex }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteMentee' as const), target: pick }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('createNote' as const), mentee: pick, text: poolIndex }) },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('updateNote' as const), target: pick, field: fc.constantFrom('text' as const, 'followUpDone' as const), value: poolIndex }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteNote' as const), target: pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('createAppointment' as const), mentee: pick, type: poolIndex }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('updateAppointment' as const), target: pick, place: poolIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteAppointment' as const), target: pick }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('tick' as const), target: pick, done: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('addChecklistItem' as const), appointment: pick, label: poolIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteChecklistItem' as const), target: pick }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('restore' as const), pick }) },
)

/** Time that passes before a step: mostly seconds to minutes, sometimes hours. */
const dtArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 120 }).map((s) => s * 1000) },
  { weight: 2, arbitrary: fc.integer({ min: 2, max: 60 }).map((m) => m * MINUTE) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }).map((h) => h * HOUR) },
)

const device = fc.nat({ max: 2 })
const rarely = fc.oneof({ weight: 7, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })

const raceEditArb: fc.Arbitrary<RaceEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('updateMentee' as const), target: pick, field: menteeFieldArb, value: poolIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('updateNote' as const), target: pick, field: fc.constant('text' as const), value: poolIndex }) },
)

const commonStepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('edit' as const), device, edit: editArb, crashAfter: rarely, dt: dtArb }) },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('sync' as const), device, faults: fc.array(faultArb, { maxLength: 4 }), dt: dtArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('race' as const), first: device, second: device, edit: raceEditArb, thenSync: fc.boolean(), dt: dtArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('skew' as const), device, skewMs: skewArb, dt: dtArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('offline' as const), device, offline: fc.boolean(), dt: dtArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deliverHeld' as const), pick, dt: dtArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('access' as const),
      change: fc.constantFrom<AccessChangeKind>('assign', 'unassign', 'share', 'unshare'),
      mentee: pick,
      dt: dtArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('horizon' as const),
      device,
      deleteBy: device,
      deletes: fc.constantFrom('notes' as const, 'mentees' as const),
      target: pick,
      extraDays: fc.integer({ min: 1, max: 40 }),
      dt: dtArb,
    }),
  },
)

/**
 * Erasure is rare (an erasure takes a mentee, often the only one, out of the rest of the
 * schedule): about one step in 150, a few dozen per 300 schedules.
 */
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 150, arbitrary: commonStepArb },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('erase' as const),
      device,
      mentee: pick,
      conflictFirst: fc.boolean(),
      thenEdit: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      dt: dtArb,
    }),
  },
)

export function scheduleArb(maxSteps: number): fc.Arbitrary<Schedule> {
  return fc.record({
    roster: fc.nat({ max: ROSTERS.length - 1 }),
    skews: fc.array(skewArb, { minLength: 3, maxLength: 3 }),
    seedMentees: fc.integer({ min: 1, max: 3 }),
    seedAssign: fc.constantFrom('shared' as const, 'assigned' as const, 'none' as const),
    steps: fc.array(stepArb, { minLength: 5, maxLength: maxSteps }),
  })
}

// ---------------------------------------------------------------------------------------------
// Printing: one line per step, so a shrunk schedule reads like a story.

function duration(ms: number): string {
  const sign = ms < 0 ? '-' : '+'
  const abs = Math.abs(ms)
  if (abs >= DAY) return `${sign}${(abs / DAY).toFixed(abs % DAY === 0 ? 0 : 2)}d`
  if (abs >= HOUR) return `${sign}${(abs / HOUR).toFixed(1)}h`
  if (abs >= MINUTE) return `${sign}${(abs / MINUTE).toFixed(1)}min`
  return `${sign}${Math.round(abs / 1000)}s`
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'duplicate':
      return `duplicate(${fault.answer})`
    case 'delay':
      return `delay(${fault.ms / 1000}s)`
    case 'serverError':
      return `http${fault.status}`
    case 'shortPage':
      return `shortPage(${fault.limit})`
    case 'editDuringSync':
      return `editDuringSync(${describeEdit(fault.edit)})`
    default:
      return fault.kind
  }
}

function describeEdit(edit: Edit): string {
  const { op, ...rest } = edit
  return `${op}(${Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`).join(', ')})`
}

export function describeStep(step: Step, roster: readonly Persona[]): string {
  const who = (index: number) => `dev${index % roster.length}:${roster[index % roster.length]}`
  const at = `[${duration(step.dt)}]`
  switch (step.kind) {
    case 'edit':
      return `${at} ${who(step.device)} ${describeEdit(step.edit)}${step.crashAfter ? ' then CRASH' : ''}`
    case 'sync':
      return `${at} ${who(step.device)} sync${step.faults.length ? ` faults=[${step.faults.map(describeFault).join(', ')}]` : ''}`
    case 'race':
      return `${at} ${who(step.first)} ${describeEdit(step.edit)}, then ${who(step.second)} the same with value=${step.edit.value + 1}, ${step.thenSync ? `then ${who(step.second)} and ${who(step.first)} sync` : 'neither syncs'}`
    case 'skew':
      return `${at} ${who(step.device)} clock skew ${duration(step.skewMs)}`
    case 'offline':
      return `${at} ${who(step.device)} ${step.offline ? 'goes offline' : 'comes online'}`
    case 'deliverHeld':
      return `${at} network delivers held request #${step.pick}`
    case 'access':
      return `${at} admin ${step.change} pate1 mentee#${step.mentee}`
    case 'horizon': {
      const deleter = step.deleteBy % roster.length !== step.device % roster.length ? `; meanwhile ${who(step.deleteBy)} deletes ${step.deletes}#${step.target} and syncs` : ''
      return `${at} ${who(step.device)} offline beyond the tombstone horizon (+180d +${step.extraDays}d)${deleter}; purge`
    }
    case 'erase':
      return `${at} ${step.conflictFirst ? `${who(step.device)} and another device race on mentee#${step.mentee}'s phone and sync; ` : ''}${who(step.device)} goes offline; a coach erases its mentee#${step.mentee} on the server${step.thenEdit ? `; ${who(step.device)} edits it offline (a field, a new note)` : ''}`
  }
}

export function describeSchedule(schedule: Schedule): string {
  const roster = ROSTERS[schedule.roster]!
  const lines = [
    `roster: ${roster.map((p, i) => `dev${i}:${p} (skew ${duration(schedule.skews[i % schedule.skews.length]!)})`).join(', ')}`,
    `seed: dev0 creates ${schedule.seedMentees} mentee(s), everybody syncs; pate1 ${schedule.seedAssign === 'none' ? 'not assigned' : schedule.seedAssign} mentee#0`,
    ...schedule.steps.map((step, i) => `${String(i + 1).padStart(3)}. ${describeStep(step, roster)}`),
  ]
  return lines.join('\n')
}

/**
 * The API description, `GET /api/v1/openapi.json` (OpenAPI 3.1). The table schemas are generated
 * from `TABLE_FIELDS` and from the shared validation schemas the endpoint checks pushes with, so a
 * field added to the protocol shows up here with its real type and limits, and a field without
 * validation makes this module throw at startup (and the tests fail).
 */
import type { FastifyPluginAsync } from 'fastify'
import {
  MAX_BODY_BYTES,
  MAX_CLOCK_SKEW_MS,
  MAX_PULL_LIMIT,
  MAX_PUSH_BATCH,
  PARENT_FIELD,
  PROTOCOL_SCHEMA_VERSION,
  ROLES,
  SENSITIVE_FIELDS,
  TABLE_FIELDS,
  AUDIT_ACTIONS,
  type ErrorCode,
} from '../src/shared/protocol'
import { SYNCED_TABLES, type SyncedTable } from '../src/shared/records'
import { IFK_OFFER_KEYS, MIN_GROUP_SIZE, PROGRESS_LEVELS, TRANSITION_STAGES } from '../src/shared/reports'
import { GOALS, LEAD_OUTCOMES, STAGES } from '../src/shared/vocabulary'
import { appointmentSchema, checklistItemSchema, eventSchema, leadSchema, menteeSchema, noteSchema } from '../src/shared/validation'
import { DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE } from './audit'
import { SYNC_CALLS_PER_WINDOW, SYNC_WINDOW_MS } from './sync/rate-limit'

export type JsonSchema = Record<string, unknown>

export const ERROR_CODES = [
  'invalid_credentials',
  'too_many_requests',
  'unauthorized',
  'device_revoked',
  'bad_request',
  'upgrade_required',
  'reset_required',
  'payload_too_large',
  'forbidden',
  'not_found',
  'internal_error',
] as const satisfies readonly ErrorCode[]
// Fails to compile when protocol.ts gains an error code this list lacks.
const everyErrorCodeListed: [Exclude<ErrorCode, (typeof ERROR_CODES)[number]>] extends [never] ? true : never = true
void everyErrorCodeListed

// ---------------------------------------------------------------------------------------------
// Valibot schema → JSON Schema, for the parts the shared validation uses.

interface ValibotNode {
  kind?: unknown
  type?: unknown
  pipe?: unknown[]
  wrapped?: unknown
  options?: unknown
  item?: unknown
  entries?: Record<string, unknown>
  requirement?: unknown
  message?: unknown
}

function asNode(value: unknown): ValibotNode {
  if (typeof value !== 'object' || value === null) throw new Error('not a valibot schema')
  return value as ValibotNode
}

function baseSchema(node: ValibotNode): JsonSchema {
  switch (node.type) {
    case 'string':
      return { type: 'string' }
    case 'number':
      return { type: 'number' }
    case 'boolean':
      return { type: 'boolean' }
    case 'picklist':
      return { type: 'string', enum: node.options }
    case 'nullable':
      return { anyOf: [valibotToJsonSchema(node.wrapped), { type: 'null' }] }
    case 'optional':
      // A field added after the first release: missing means its default.
      return { ...valibotToJsonSchema(node.wrapped), default: (node as { default?: unknown }).default }
    case 'array':
      return { type: 'array', items: valibotToJsonSchema(node.item) }
    case 'object': {
      const entries = node.entries ?? {}
      return {
        type: 'object',
        properties: Object.fromEntries(Object.entries(entries).map(([key, entry]) => [key, valibotToJsonSchema(entry)])),
        required: Object.keys(entries).filter((key) => asNode(entries[key]).type !== 'optional'),
      }
    }
    default:
      throw new Error(`no JSON Schema for valibot type ${String(node.type)}`)
  }
}

function applyAction(schema: JsonSchema, action: ValibotNode, checks: string[]): void {
  const isArray = schema.type === 'array'
  switch (action.type) {
    case 'max_length':
      schema[isArray ? 'maxItems' : 'maxLength'] = action.requirement
      break
    case 'min_length':
      schema[isArray ? 'minItems' : 'minLength'] = action.requirement
      break
    case 'regex':
      if (action.requirement instanceof RegExp) schema.pattern = action.requirement.source
      break
    case 'uuid':
      schema.format = 'uuid'
      break
    case 'integer':
      schema.type = 'integer'
      break
    case 'min_value':
      schema.minimum = action.requirement
      break
    case 'trim':
      checks.push('trimmed')
      break
    case 'check':
      if (typeof action.message === 'string') checks.push(action.message)
      break
    default:
      throw new Error(`no JSON Schema for valibot action ${String(action.type)}`)
  }
}

export function valibotToJsonSchema(value: unknown): JsonSchema {
  const node = asNode(value)
  if (!node.pipe) return baseSchema(node)
  const [root, ...actions] = node.pipe
  const schema = baseSchema(asNode(root))
  const checks: string[] = []
  for (const action of actions) applyAction(schema, asNode(action), checks)
  // Checks are code; their message keys (under `validation.` in the locales) say what they check.
  if (checks.length > 0) schema['x-checks'] = checks
  return schema
}

const VALIDATION_SCHEMAS: Record<SyncedTable, unknown> = {
  mentees: menteeSchema,
  notes: noteSchema,
  appointments: appointmentSchema,
  checklistItems: checklistItemSchema,
  events: eventSchema,
  leads: leadSchema,
}

/** The per-field schemas of a table (its object schema, inside a pipe or not). */
function fieldEntries(table: SyncedTable): Record<string, unknown> {
  const node = asNode(VALIDATION_SCHEMAS[table])
  const objectNode = node.entries ? node : asNode(node.pipe?.[0])
  if (!objectNode.entries) throw new Error(`no object schema for ${table}`)
  return objectNode.entries
}

const capitalized = (table: SyncedTable) => table[0]!.toUpperCase() + table.slice(1)
export const fieldsSchemaName = (table: SyncedTable) => `${capitalized(table)}Fields`
const stampsSchemaName = (table: SyncedTable) => `${capitalized(table)}Stamps`
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/** Every field of `TABLE_FIELDS[table]`, typed from the validation; none required (partial writes). */
export function tableFieldsSchema(table: SyncedTable): JsonSchema {
  const entries = fieldEntries(table)
  const properties: Record<string, JsonSchema> = {}
  for (const field of TABLE_FIELDS[table]) {
    if (!Object.hasOwn(entries, field)) throw new Error(`${table}.${field} is in TABLE_FIELDS but has no validation`)
    const schema = valibotToJsonSchema(entries[field])
    if (SENSITIVE_FIELDS[table]?.includes(field)) {
      schema['x-sensitive'] = true
      schema.description = 'Sensitive: a Pate receives and writes it only when a coach shared the mentee.'
    }
    if (PARENT_FIELD[table] === field) {
      schema['x-parent'] = true
      schema.description = 'The parent record: required when the record is created, never changes afterwards.'
    }
    properties[field] = schema
  }
  return {
    type: 'object',
    description: `Fields of ${table}. A push may carry any subset; unknown fields are rejected.`,
    properties,
    additionalProperties: false,
  }
}

// ---------------------------------------------------------------------------------------------
// The document

const uuid = { type: 'string', format: 'uuid', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }
const isoTime = { type: 'string', format: 'date-time' }
const isoDate = { type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }

function shownCells(keys: readonly string[]): JsonSchema {
  return { type: 'object', required: [...keys], properties: Object.fromEntries(keys.map((key) => [key, ref('ShownCount')])) }
}

/** A group of counts under the k-anonymity rule, with the sum of its cells when it has one. */
function shownGroup(keys: readonly string[], description: string, withTotal = true): JsonSchema {
  return {
    type: 'object',
    description,
    required: ['cells', 'total'],
    properties: { cells: shownCells(keys), total: withTotal ? ref('ShownCount') : { type: 'null' } },
  }
}

function componentSchemas(): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {
    ErrorResponse: {
      type: 'object',
      required: ['error'],
      properties: { error: { type: 'string', enum: [...ERROR_CODES] }, message: { type: 'string' } },
    },
    Stamp: {
      type: 'string',
      pattern: '^\\d{15}:\\d{5}:.+$',
      maxLength: 120,
      description:
        `Hybrid logical clock stamp <millis:15>:<counter:5>:<node>; text order is clock order. Stamps more than ` +
        `${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of the server are clamped to its time.`,
    },
    Table: { type: 'string', enum: [...SYNCED_TABLES] },
    User: {
      type: 'object',
      required: ['id', 'username', 'displayName', 'role', 'teamId'],
      properties: {
        id: uuid,
        username: { type: 'string' },
        displayName: { type: 'string' },
        role: { type: 'string', enum: [...ROLES] },
        teamId: { anyOf: [uuid, { type: 'null' }] },
      },
    },
    SessionRequest: {
      type: 'object',
      required: ['username', 'password', 'deviceName'],
      properties: { username: { type: 'string' }, password: { type: 'string' }, deviceName: { type: 'string' } },
    },
    SessionResponse: {
      type: 'object',
      required: ['token', 'deviceId', 'user', 'serverTime'],
      properties: { token: { type: 'string' }, deviceId: uuid, user: ref('User'), serverTime: isoTime },
    },
    HealthResponse: {
      type: 'object',
      required: ['status', 'version', 'serverTime'],
      properties: { status: { const: 'ok' }, version: { type: 'string' }, serverTime: isoTime },
    },
    DeleteMutation: {
      type: 'object',
      required: ['seq', 'table', 'id', 'op', 'hlc'],
      properties: { seq: { type: 'integer', minimum: 1 }, table: ref('Table'), id: uuid, op: { const: 'delete' }, hlc: ref('Stamp') },
    },
    PushRequest: {
      type: 'object',
      required: ['deviceId', 'schemaVersion', 'mutations'],
      properties: {
        deviceId: { ...uuid, description: 'The deviceId of this session.' },
        schemaVersion: { const: PROTOCOL_SCHEMA_VERSION },
        mutations: {
          type: 'array',
          maxItems: MAX_PUSH_BATCH,
          description: 'In increasing seq order, as the device made them.',
          items: { oneOf: [...SYNCED_TABLES.map((table) => ref(`${capitalized(table)}Upsert`)), ref('DeleteMutation')] },
        },
      },
    },
    MutationResult: {
      type: 'object',
      required: ['seq', 'status'],
      properties: {
        seq: { type: 'integer' },
        status: { type: 'string', enum: ['applied', 'superseded', 'duplicate', 'rejected'] },
        fields: { type: 'array', items: { type: 'string' }, description: 'superseded: the fields whose value lost.' },
        reason: { type: 'string', enum: ['forbidden', 'invalid', 'deleted'] },
        detail: { type: 'string', description: 'invalid: the field (or table, id, hlc) that failed.' },
      },
    },
    PushResponse: {
      type: 'object',
      required: ['ackSeq', 'results', 'serverTime'],
      properties: { ackSeq: { type: 'integer' }, results: { type: 'array', items: ref('MutationResult') }, serverTime: isoTime },
    },
    RemovalChange: {
      type: 'object',
      required: ['table', 'id', 'op'],
      description: 'delete: the record was deleted. evict: it left the user\u2019s scope. Either way only this record goes.',
      properties: { table: ref('Table'), id: uuid, op: { type: 'string', enum: ['delete', 'evict'] } },
    },
    PullResponse: {
      type: 'object',
      required: ['changes', 'cursor', 'through', 'hasMore', 'serverTime'],
      properties: {
        changes: {
          type: 'array',
          items: { oneOf: [...SYNCED_TABLES.map((table) => ref(`${capitalized(table)}Change`)), ref('RemovalChange')] },
        },
        cursor: { type: 'string', description: 'Opaque; pass it to the next pull.' },
        through: {
          type: 'integer',
          minimum: 0,
          description:
            'On the last page of a pull (hasMore false): every change numbered up to this is on the device once it is applied; send it as `seen` with the writes made after.',
        },
        hasMore: { type: 'boolean' },
        serverTime: isoTime,
      },
    },
    ConflictEntry: {
      type: 'object',
      required: ['id', 'table', 'recordId', 'field', 'value', 'hlc', 'lostBy', 'wonBy', 'at'],
      properties: {
        id: uuid,
        table: ref('Table'),
        recordId: uuid,
        field: { type: 'string' },
        value: { description: 'The value that lost, as it was written.' },
        hlc: ref('Stamp'),
        lostBy: ref('UserRef'),
        wonBy: { anyOf: [ref('UserRef'), { type: 'null' }] },
        at: isoTime,
      },
    },
    UserRef: {
      type: 'object',
      required: ['userId', 'displayName'],
      properties: { userId: uuid, displayName: { type: 'string' } },
    },
    ConflictsResponse: {
      type: 'object',
      required: ['conflicts', 'serverTime'],
      properties: { conflicts: { type: 'array', items: ref('ConflictEntry') }, serverTime: isoTime },
    },
    ErasureResponse: {
      type: 'object',
      required: ['menteeId', 'erased', 'serverTime'],
      properties: {
        menteeId: uuid,
        erased: {
          type: 'object',
          description: 'Records this erasure turned into content-free tombstones, per table (0 when already erased).',
          required: [...SYNCED_TABLES],
          properties: Object.fromEntries(SYNCED_TABLES.map((table) => [table, { type: 'integer', minimum: 0 }])),
        },
        serverTime: isoTime,
      },
    },
    ExportedRecord: {
      type: 'object',
      required: ['id', 'fields', 'updatedAt'],
      properties: {
        id: uuid,
        fields: { type: 'object', description: 'The fields the user may see (a Pate without a share: no sensitive field).' },
        updatedAt: isoTime,
      },
    },
    MenteeExport: {
      type: 'object',
      description: 'Everything stored about one mentee that the user may see (GDPR Art. 15).',
      required: ['format', 'version', 'menteeId', 'exportedAt', 'tables', 'conflicts', 'assignments'],
      properties: {
        format: { const: 'lotse-export' },
        version: { const: 1 },
        menteeId: uuid,
        exportedAt: isoTime,
        tables: {
          type: 'object',
          description: 'Every synced table, empty ones included: the mentee and the records bound to it.',
          required: [...SYNCED_TABLES],
          properties: Object.fromEntries(SYNCED_TABLES.map((table) => [table, { type: 'array', items: ref('ExportedRecord') }])),
        },
        conflicts: { type: 'array', items: ref('ConflictEntry') },
        assignments: {
          type: 'array',
          description: 'Paten of the mentee (empty for a Pate asking).',
          items: {
            type: 'object',
            required: ['userId', 'displayName', 'sensitiveShared'],
            properties: { userId: uuid, displayName: { type: 'string' }, sensitiveShared: { type: 'boolean' } },
          },
        },
      },
    },
    AuditEntry: {
      type: 'object',
      required: ['id', 'at', 'action', 'actorId', 'deviceId', 'targetId', 'details', 'recordIds'],
      properties: {
        id: { type: 'integer' },
        at: isoTime,
        action: { type: 'string', enum: [...AUDIT_ACTIONS] },
        actorId: { anyOf: [uuid, { type: 'null' }], description: 'null: the server (retention) or the admin CLI.' },
        deviceId: { anyOf: [uuid, { type: 'null' }] },
        targetId: { anyOf: [uuid, { type: 'null' }], description: 'The mentee (export, erasure), device (revocation) or team (report).' },
        details: { type: 'object', description: 'Counts, table names, reasons, a keyed username hash; never a personal value.' },
        recordIds: { type: 'array', items: uuid, description: 'pull: the records the device received.' },
      },
    },
    AuditResponse: {
      type: 'object',
      required: ['entries', 'nextBefore', 'serverTime'],
      properties: {
        entries: { type: 'array', items: ref('AuditEntry') },
        nextBefore: { anyOf: [{ type: 'integer' }, { type: 'null' }], description: 'Pass as `before` for older entries.' },
        serverTime: isoTime,
      },
    },
    ShownCount: {
      description:
        `A count under the k-anonymity rule: a number (0, or ${MIN_GROUP_SIZE} and more), \`small\` (fewer than ` +
        `${MIN_GROUP_SIZE}: 1 to ${MIN_GROUP_SIZE - 1}, or any cell of a group of fewer than ${MIN_GROUP_SIZE} in all) or ` +
        '`hidden` (not shown, so that a small count cannot be worked out from the total and the other cells).',
      oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', enum: ['small', 'hidden'] }],
    },
    Report: {
      type: 'object',
      description: 'Counts only: no id, no person\u2019s name, no per-person row. Definitions: src/shared/reports.ts.',
      required: ['period', 'stages', 'goals', 'transitions', 'ifkLeavers', 'germanProgress', 'fairs'],
      properties: {
        period: { type: 'object', required: ['from', 'to'], properties: { from: isoDate, to: isoDate } },
        stages: shownGroup(STAGES, 'Live mentees by current stage (now, not in the period); total: all.'),
        goals: shownGroup(GOALS, 'Live mentees by current goal (several per person, so no total).', false),
        transitions: shownGroup(TRANSITION_STAGES, 'Mentees who entered the stage within the period (stageHistory).', false),
        ifkLeavers: shownGroup(IFK_OFFER_KEYS, 'IFK pupils (schoolClass starting with IFK) leaving within the period, by follow-on offer.'),
        germanProgress: shownGroup(
          PROGRESS_LEVELS,
          'Mentees who reached a higher level within the period than before it, under the highest reached; total: moved up at least one level.',
        ),
        fairs: {
          type: 'array',
          description: 'Job fairs dated within the period, by date and name.',
          items: {
            type: 'object',
            required: ['name', 'date', 'visitors', 'selfIntakes', 'contacts', 'outcomes', 'employers', 'otherEmployers'],
            properties: {
              name: { type: 'string' },
              date: isoDate,
              visitors: ref('ShownCount'),
              selfIntakes: ref('ShownCount'),
              contacts: { ...ref('ShownCount'), description: 'All contacts: the total of outcomes, and of employers plus otherEmployers.' },
              outcomes: shownCells(LEAD_OUTCOMES),
              employers: {
                type: 'array',
                items: { type: 'object', required: ['name', 'contacts'], properties: { name: { type: 'string' }, contacts: ref('ShownCount') } },
              },
              otherEmployers: { ...ref('ShownCount'), description: 'Contacts with an employer the event no longer lists.' },
            },
          },
        },
      },
    },
    ReportResponse: {
      type: 'object',
      required: ['report', 'teamId', 'serverTime'],
      properties: { report: ref('Report'), teamId: { anyOf: [uuid, { type: 'null' }] }, serverTime: isoTime },
    },
  }
  for (const table of SYNCED_TABLES) {
    schemas[fieldsSchemaName(table)] = tableFieldsSchema(table)
    schemas[stampsSchemaName(table)] = {
      type: 'object',
      description: `The stamp of each field of ${table} in the change.`,
      properties: Object.fromEntries(TABLE_FIELDS[table].map((field) => [field, ref('Stamp')])),
      additionalProperties: false,
    }
    schemas[`${capitalized(table)}Upsert`] = {
      type: 'object',
      required: ['seq', 'table', 'id', 'op', 'fields', 'hlc'],
      properties: {
        seq: { type: 'integer', minimum: 1 },
        table: { const: table },
        id: uuid,
        op: { const: 'upsert' },
        fields: ref(fieldsSchemaName(table)),
        hlc: ref('Stamp'),
        seen: {
          type: 'integer',
          minimum: 0,
          description:
            'The `through` of the last pull that had ended when the write was made. A stored value with a higher change number, written by another device, was not seen: replacing it logs it as a conflict.',
        },
      },
    }
    schemas[`${capitalized(table)}Change`] = {
      type: 'object',
      required: ['table', 'id', 'op', 'fields', 'hlc'],
      properties: {
        table: { const: table },
        id: uuid,
        op: { const: 'upsert' },
        fields: ref(fieldsSchemaName(table)),
        hlc: ref(stampsSchemaName(table)),
      },
    }
  }
  return schemas
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } })
const error = (description: string, headers?: JsonSchema) => ({
  description,
  ...(headers ? { headers } : {}),
  content: json(ref('ErrorResponse')),
})
const retryAfter = { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 1 } } }

const commonErrors = {
  '401': error('No valid session (`unauthorized`), or this device was revoked (`device_revoked`): sign in again.'),
  '429': error(`More than ${SYNC_CALLS_PER_WINDOW} calls by this device within ${SYNC_WINDOW_MS / 1000} s.`, retryAfter),
}

function paths(): JsonSchema {
  return {
    '/api/v1/health': {
      get: {
        summary: 'Liveness, version and the server\u2019s clock.',
        security: [],
        responses: { '200': { description: 'Up.', content: json(ref('HealthResponse')) } },
      },
    },
    '/api/v1/openapi.json': {
      get: {
        summary: 'This description.',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: json({ type: 'object' }) } },
      },
    },
    '/api/v1/session': {
      post: {
        summary: 'Sign in: opens a session on a new device.',
        security: [],
        requestBody: { required: true, content: json(ref('SessionRequest')) },
        responses: {
          '201': { description: 'Signed in.', content: json(ref('SessionResponse')) },
          '400': error('Malformed body.'),
          '401': error('Wrong username or password (the same answer for both): `invalid_credentials`.'),
          '429': error('10 failed sign-ins for this username or from this address within 15 minutes.', retryAfter),
        },
      },
      delete: {
        summary: 'Sign out: this device\u2019s token stops working.',
        responses: { '204': { description: 'Signed out.' }, ...commonErrors },
      },
    },
    '/api/v1/sync/push': {
      post: {
        summary: 'Apply the device\u2019s mutations, in one transaction.',
        requestBody: { required: true, content: json(ref('PushRequest')) },
        responses: {
          '200': { description: 'A result per mutation.', content: json(ref('PushResponse')) },
          '400': error('Malformed JSON or envelope (missing mutations, seq not an increasing positive integer, unknown op).'),
          '403': error('deviceId is not the device of this session.'),
          '413': error(`Body over ${MAX_BODY_BYTES / (1024 * 1024)} MB.`),
          '426': error('Another schemaVersion: `upgrade_required`.'),
          ...commonErrors,
        },
      },
    },
    '/api/v1/sync/pull': {
      get: {
        summary: 'Changes in the user\u2019s scope after the cursor, in order.',
        parameters: [
          {
            name: 'cursor',
            in: 'query',
            required: false,
            description: 'From the previous pull; without it, everything in scope.',
            schema: { type: 'string' },
          },
          {
            name: 'limit',
            in: 'query',
            required: false,
            description: 'Most changes per page.',
            schema: { type: 'integer', minimum: 1, maximum: MAX_PULL_LIMIT, default: MAX_PULL_LIMIT },
          },
        ],
        responses: {
          '200': { description: 'A page of changes.', content: json(ref('PullResponse')) },
          '400': error('limit out of range, or a cursor this endpoint did not issue.'),
          '409': error('`reset_required`: deletions after this cursor were purged; pull again without a cursor.'),
          ...commonErrors,
        },
      },
    },
    '/api/v1/conflicts': {
      get: {
        summary: 'Values that lost a conflict, newest first, as far as the user may see them.',
        parameters: [
          { name: 'table', in: 'query', required: false, schema: ref('Table') },
          { name: 'id', in: 'query', required: false, description: 'A record id.', schema: uuid },
        ],
        responses: {
          '200': { description: 'The conflicts.', content: json(ref('ConflictsResponse')) },
          '400': error('Unknown table, or an id that is not a UUID.'),
          ...commonErrors,
        },
      },
    },
    '/api/v1/mentees/{id}/erasure': {
      post: {
        summary:
          'Erase a mentee (GDPR Art. 17): it and every record bound to it become `{table, id, deleted}` tombstones; ' +
          'its conflict-log values, assignments and audit details go. Every device removes the records at its next pull.',
        description: 'Coordinators, and coaches of the mentee\u2019s team. Erasing an erased mentee again is answered 200 with zero counts.',
        parameters: [menteeIdParameter],
        responses: {
          '200': { description: 'Erased.', content: json(ref('ErasureResponse')) },
          '400': error('id is not a lower-case UUID.'),
          '403': error('The role may not erase (Pate, guide).'),
          '404': error('No such mentee within the user\u2019s reach.'),
          ...commonErrors,
        },
      },
    },
    '/api/v1/mentees/{id}/export': {
      get: {
        summary: 'Everything stored about one mentee, as far as the user may see it (GDPR Art. 15); audited.',
        parameters: [menteeIdParameter],
        responses: {
          '200': { description: 'The export (sent as an attachment).', content: json(ref('MenteeExport')) },
          '400': error('id is not a lower-case UUID.'),
          '403': error('The role sees no mentees (guide).'),
          '404': error('No such live mentee within the user\u2019s reach.'),
          ...commonErrors,
        },
      },
    },
    '/api/v1/audit': {
      get: {
        summary: 'The audit log, newest first (coordinators only). Ids, counts and reasons; no personal values.',
        parameters: [
          { name: 'before', in: 'query', required: false, description: 'An entry id: older entries only.', schema: { type: 'integer', minimum: 1 } },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE, default: DEFAULT_AUDIT_PAGE },
          },
        ],
        responses: {
          '200': { description: 'A page of entries.', content: json(ref('AuditResponse')) },
          '400': error('before or limit malformed.'),
          '403': error('Not a coordinator.'),
          ...commonErrors,
        },
      },
    },
    '/api/v1/reports': {
      get: {
        summary: 'Figures for funders (coordinators only): counts over the municipality or one team, small groups suppressed; audited.',
        description:
          `Counted in SQL over the records, then every group under the k-anonymity rule: no count from 1 to ${MIN_GROUP_SIZE - 1} ` +
          'is shown (`small`), 0 is; where a group shows a total, further cells are `hidden` until no suppressed cell can be ' +
          'worked out from the total and the shown cells (or the breakdown is withheld). Counts only: no ids, no names of people.',
        parameters: [
          { name: 'from', in: 'query', required: true, description: 'First day of the period.', schema: isoDate },
          { name: 'to', in: 'query', required: true, description: 'Last day of the period (included); not before from.', schema: isoDate },
          { name: 'teamId', in: 'query', required: false, description: 'One team only; without it, the whole municipality.', schema: uuid },
        ],
        responses: {
          '200': { description: 'The figures.', content: json(ref('ReportResponse')) },
          '400': error('from or to missing or not a date, from after to, or teamId not a UUID.'),
          '403': error('Not a coordinator.'),
          '404': error('No such team.'),
          ...commonErrors,
        },
      },
    },
  }
}

const menteeIdParameter = { name: 'id', in: 'path', required: true, description: 'The mentee\u2019s id.', schema: uuid }

export function buildOpenApiDocument(version: string): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lotse municipal sync endpoint',
      version,
      description:
        'Sync protocol v1 between the Lotse app and a municipal endpoint. Errors answer `ErrorResponse`; ' +
        'nothing a client sends causes a 5xx.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: paths(),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /api/v1/session.' } },
      schemas: componentSchemas(),
    },
  }
}

export interface OpenApiRoutesOptions {
  version: string
}

/** Registered under `/api/v1`. Public: client generators and operators read it without a session. */
export const openApiRoutes: FastifyPluginAsync<OpenApiRoutesOptions> = async (app, options) => {
  const document = JSON.stringify(buildOpenApiDocument(options.version))
  app.get('/openapi.json', { config: { public: true } }, async (_request, reply) => {
    return reply.type('application/json; charset=utf-8').send(document)
  })
}

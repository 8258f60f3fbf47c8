/**
 * The sync protocol v1 between the app and a municipal endpoint: message shapes, and which
 * fields of which table may travel. Both the app and the endpoint import this file.
 */
import type { SyncedTable } from './records'
import type { Report } from './reports'

export const PROTOCOL_SCHEMA_VERSION = 1
export const MAX_PUSH_BATCH = 200
export const MAX_PULL_LIMIT = 1000
export const MAX_BODY_BYTES = 10 * 1024 * 1024
/** Stamps further ahead of the server's clock than this are clamped to the server's time. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000

export const ROLES = ['coordinator', 'coach', 'pate', 'guide'] as const
export type Role = (typeof ROLES)[number]

/** Who sees the figures for funders in the app: coaches their team's, coordinators also the municipality's. */
export const REPORT_ROLES: readonly Role[] = ['coordinator', 'coach']
/** Who has mentees at all: Welcome Guides work with fair visitors (leads) only. */
export const MENTEE_ROLES: readonly Role[] = ['coordinator', 'coach', 'pate']

/** The content fields of each synced table, as they travel (camelCase, as in `records.ts`). */
export const TABLE_FIELDS: Record<SyncedTable, readonly string[]> = {
  mentees: [
    'givenName', 'familyName', 'birthYear', 'phone', 'email', 'languages', 'germanLevel', 'germanLevelHistory',
    'countryOfOrigin', 'arrivalDate', 'residenceStatus', 'permitExpiry', 'school', 'schoolClass',
    'expectedLeavingDate', 'schoolQualification', 'foreignQualifications', 'recognitionStatus',
    'goals', 'barriers', 'stage', 'stageHistory', 'followOnOffer', 'tags', 'assignedCoach', 'assignedPate',
    'consentDate', 'consentPurposes', 'consentLanguage', 'consentTextVersion', 'consentRecordedBy',
  ],
  notes: ['menteeId', 'date', 'kind', 'text', 'topics', 'followUpText', 'followUpDue', 'followUpDone'],
  appointments: ['menteeId', 'startsAt', 'place', 'type', 'companion', 'outcome'],
  checklistItems: ['appointmentId', 'templateKey', 'label', 'done', 'position'],
  events: ['name', 'date', 'place', 'employers'],
  leads: [
    'eventId', 'givenName', 'familyName', 'birthYear', 'languages', 'germanLevel', 'phone', 'messenger',
    'desiredOccupations', 'contacts', 'followUpDue', 'followUpDone', 'consentFollowUp', 'consentDate',
    'consentLanguage', 'consentTextVersion', 'selfIntake', 'menteeId', 'anonymised', 'intakeLanguage',
  ],
}

/** Fields a Pate receives and may write only where a coach shared the mentee's sensitive data. */
export const SENSITIVE_FIELDS: Partial<Record<SyncedTable, readonly string[]>> = {
  mentees: ['residenceStatus', 'permitExpiry'],
}

/** Fields that tie a record to its parent; set on creation and never moved to another parent. */
export const PARENT_FIELD: Partial<Record<SyncedTable, string>> = {
  notes: 'menteeId',
  appointments: 'menteeId',
  checklistItems: 'appointmentId',
  leads: 'eventId',
}

export interface User {
  id: string
  username: string
  displayName: string
  role: Role
  teamId: string | null
}

export interface SessionRequest {
  username: string
  password: string
  deviceName: string
}

export interface SessionResponse {
  token: string
  deviceId: string
  user: User
  serverTime: string
}

export type Mutation =
  | {
      seq: number
      table: SyncedTable
      id: string
      op: 'upsert'
      fields: Record<string, unknown>
      hlc: string
      /**
       * The `through` of the last pull that had ended when the write was made: every stored value with a
       * higher change number was not on the device, so a value this write replaces is logged as
       * lost. Left out (older clients), the endpoint judges by the stamp's time instead.
       */
      seen?: number
    }
  | { seq: number; table: SyncedTable; id: string; op: 'delete'; hlc: string }

export interface PushRequest {
  deviceId: string
  schemaVersion: number
  mutations: Mutation[]
}

export type MutationStatus = 'applied' | 'superseded' | 'duplicate' | 'rejected'
export type RejectionReason = 'forbidden' | 'invalid' | 'deleted'

export interface MutationResult {
  seq: number
  status: MutationStatus
  /** For `superseded`: the fields whose value lost to a newer one (the rest were written). */
  fields?: string[]
  reason?: RejectionReason
  detail?: string
}

export interface PushResponse {
  ackSeq: number
  results: MutationResult[]
  serverTime: string
}

export type Change =
  | { table: SyncedTable; id: string; op: 'upsert'; fields: Record<string, unknown>; hlc: Record<string, string> }
  | { table: SyncedTable; id: string; op: 'delete' | 'evict' }

export interface PullResponse {
  changes: Change[]
  cursor: string
  /** On the last page of a pull: every change numbered up to this is then on the device (see Mutation.seen). */
  through: number
  hasMore: boolean
  serverTime: string
}

export interface ConflictEntry {
  id: string
  table: SyncedTable
  recordId: string
  field: string
  /** The value that lost, as it was written. */
  value: unknown
  hlc: string
  /** Who wrote the value that lost, and who wrote the one that won. */
  lostBy: { userId: string; displayName: string }
  wonBy: { userId: string; displayName: string } | null
  at: string
}

export interface ConflictsResponse {
  conflicts: ConflictEntry[]
  serverTime: string
}

export type ErrorCode =
  | 'invalid_credentials'
  | 'too_many_requests'
  | 'unauthorized'
  | 'device_revoked'
  | 'bad_request'
  | 'upgrade_required'
  | 'reset_required'
  | 'payload_too_large'
  | 'forbidden'
  | 'not_found'
  | 'internal_error'

export interface ErrorResponse {
  error: ErrorCode
  message?: string
}

// ---------------------------------------------------------------------------------------------
// Data protection (GDPR Art. 15 and 17) and the server's audit log.

/** `POST /api/v1/mentees/{id}/erasure`: what was erased, counted per table. */
export interface ErasureResponse {
  menteeId: string
  /** Records turned into content-free tombstones by this erasure, per table. */
  erased: Record<SyncedTable, number>
  serverTime: string
}

export interface ExportedRecord {
  id: string
  fields: Record<string, unknown>
  /** When the server last stored a change of the record. */
  updatedAt: string
}

/** `GET /api/v1/mentees/{id}/export`: everything stored about one mentee that the user may see. */
export interface MenteeExport {
  format: 'lotse-export'
  version: 1
  menteeId: string
  exportedAt: string
  /** Every synced table, empty ones included; children of the mentee only. */
  tables: Record<SyncedTable, ExportedRecord[]>
  conflicts: ConflictEntry[]
  /** Paten who mentor the mentee and whether its sensitive fields were shared (not sent to Paten). */
  assignments: { userId: string; displayName: string; sensitiveShared: boolean }[]
}

export const AUDIT_ACTIONS = ['sign_in', 'sign_in_failed', 'pull', 'export', 'erasure', 'device_revoked', 'report'] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export interface AuditEntry {
  id: number
  at: string
  action: AuditAction
  actorId: string | null
  deviceId: string | null
  /** The mentee (export, erasure), device (revocation) or team (report) the entry is about. */
  targetId: string | null
  /** Counts, table names, reasons; never a personal value. */
  details: Record<string, unknown>
  /** pull: the ids of the records the device received. */
  recordIds: string[]
}

/** `GET /api/v1/audit?before=&limit=` (coordinators only), newest first. */
export interface AuditResponse {
  entries: AuditEntry[]
  /** Pass as `before` for the next (older) page; null when this was the last. */
  nextBefore: number | null
  serverTime: string
}

// ---------------------------------------------------------------------------------------------
// Figures for funders.

/**
 * `GET /api/v1/reports?from=&to=[&teamId=]` (coordinators only): counts over the municipality's
 * records (or one team's), with every group under the k-anonymity rule of `src/shared/reports.ts`.
 * Counts only: no id, no person's name, no per-person row.
 */
export interface ReportResponse {
  report: Report
  /** The team the figures are about; null: the whole municipality. */
  teamId: string | null
  serverTime: string
}

import type { Generated, Kysely, Selectable, Transaction } from "kysely";

/**
 * Row types of every table. Timestamps are ISO-8601 UTC strings and booleans are 0/1 on both
 * databases, so rows look the same whichever dialect produced them.
 */
export interface AccountsTable {
  id: string;
  name: string;
  type: string;
  description: string | null;
  address1: string | null;
  address2: string | null;
  city: string | null;
  state: string | null;
  zipcode: string | null;
  country: string | null;
  region: string | null;
  visible: number;
  parent_id: string | null;
  /** The channel partner that created and manages this account (migration 0020). */
  managed_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccountRelationsTable {
  account_id: string;
  related_account_id: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  locale: string | null;
  time_zone: string | null;
  status: string;
  password_hash: string | null;
  password_changed_at: string | null;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
  /** When the user followed a verification (or password reset) link; null: not verified. Optional on insert (migration 0018). */
  email_verified_at?: string | null;
}

/** Single-use emailed links (migration 0018): `id` is the token's SHA-256. */
export interface UserEmailTokensTable {
  id: string;
  user_id: string;
  purpose: string;
  email: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface UserRolesTable {
  user_id: string;
  account_id: string;
  role: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  csrf_token: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  account_id: string;
  role: string;
  name: string;
  token_hash: string;
  prefix: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface LoginFailuresTable {
  email: string;
  failures: number;
  lockouts: number;
  first_failure_at: string;
  locked_until: string | null;
}

export interface PartnerTiersTable {
  name: string;
  display_name: string;
  description: string | null;
  rank: number;
  built_in: number;
  created_at: string;
  updated_at: string;
}

export interface LicenseModelsTable {
  id: string;
  name: string;
  description: string | null;
  technology: string;
  model_type: string;
  state: string;
  attributes: string;
  policies: string;
  created_at: string;
  updated_at: string;
}

export interface ProductsTable {
  id: string;
  name: string;
  version: string;
  description: string | null;
  type: string;
  state: string;
  created_at: string;
  updated_at: string;
}

export interface ProductFeaturesTable {
  product_id: string;
  position: number;
  name: string;
  version: string;
  count: number | null;
}

export interface ProductRelationsTable {
  product_id: string;
  related_product_id: string;
  kind: string;
}

export interface ProductLicenseModelsTable {
  product_id: string;
  license_model_id: string;
}

export interface PartNumbersTable {
  id: string;
  part_id: string;
  description: string | null;
  product_id: string;
  quantity: number;
  license_model_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface AuditEventsTable {
  id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  actor_label: string | null;
  token_id: string | null;
  action: string;
  object_type: string;
  object_id: string;
  changes: string;
  request_id: string | null;
  ip: string | null;
  /** REST, SOAP, or null (before migration 0017; CLI and job contexts). */
  interface?: string | null;
}

/** Domain events (migration 0021): one per committed change, read by webhooks and the events API. */
export interface EventsTable {
  seq: Generated<number>;
  id: string;
  /** PostgreSQL: the writing transaction's id (set by the database); SQLite: 0. */
  tx_id: Generated<number>;
  type: string;
  occurred_at: string;
  subject_type: string;
  subject_id: string;
  entitlement_id: string | null;
  account_id: string | null;
  request_id: string | null;
  payload: string;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response: string | null;
  created_at: string;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface EntitlementsTable {
  id: string;
  entitlement_id: string;
  id_generated: number;
  kind: string;
  state: string;
  description: string | null;
  ship_to_email: string | null;
  ship_to_address: string | null;
  order_id: string | null;
  order_line_number: string | null;
  allow_portal_login: number;
  custom_attributes: string;
  parent_bulk_id: string | null;
  created_by: string | null;
  created_by_label: string | null;
  created_at: string;
  updated_by: string | null;
  updated_at: string;
  key_count: Generated<number>;
  redeemed_count: Generated<number>;
  /** The entitlement a split created this one from (migration 0016). */
  split_from_id: string | null;
}

export interface LineItemsTable {
  id: string;
  entitlement_id: string;
  role: string;
  position: number;
  activation_id: string | null;
  id_generated: number;
  state: string;
  part_number_id: string | null;
  license_model_id: string | null;
  alt_license_model1_id: string | null;
  alt_license_model2_id: string | null;
  license_model_attributes: string;
  start_date_option: string;
  start_date: string | null;
  is_permanent: number;
  term_count: number | null;
  term_unit: string | null;
  expiration_date: string | null;
  version_date_option: string | null;
  version_date: string | null;
  number_of_copies: number;
  fulfilled_count: number;
  /** Copies licensed past number_of_copies as extra activations, in use (migration 0015). */
  overdraft_count: number;
  line_item_type: string | null;
  parent_line_item_id: string | null;
  order_id: string | null;
  order_line_number: string | null;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface LineItemProductsTable {
  line_item_id: string;
  product_id: string;
  quantity: number;
  position: number;
}

export interface EntitlementPartnersTable {
  entitlement_id: string;
  tier: string;
  account_id: string;
  contact_user_id: string | null;
  current_owner: number;
}

export interface EntitlementEventsTable {
  id: string;
  entitlement_id: string;
  event: string;
  at: string;
  user_id: string | null;
  user_label: string | null;
  description: string | null;
}

export interface WebRegisterKeysTable {
  id: Generated<number>;
  bulk_id: string;
  /** As loaded (and shown). */
  key: string;
  /** Its identity: canonicalKey(key), unique (migration 0006). */
  key_canon: string;
  /** Set while its load is staged (SQLite): invisible while `key_loads` holds that load (migration 0010). */
  load_id: string | null;
  status: string;
  created_at: string;
  job_id: string | null;
  redeemed_at: string | null;
  redeemed_by: string | null;
  redeemed_by_label: string | null;
  sold_to: string | null;
  owner: string | null;
  entitlement_id: string | null;
}

/** A staged key load in progress (SQLite): its keys stay invisible until this row is deleted. */
export interface KeyLoadsTable {
  id: string;
  bulk_id: string;
  /** host:pid:loadId of the loading process. */
  owner: string;
  /** The largest web_register_keys.id when the load began: its keys all come after it. */
  after_id: number;
  heartbeat_at: string;
  created_at: string;
}

export interface JobsTable {
  id: string;
  type: string;
  state: string;
  bulk_id: string | null;
  params: string;
  total: number | null;
  done: number;
  result: string | null;
  error: string | null;
  cancel_requested: number;
  worker: string | null;
  attempts: number;
  created_by: string | null;
  created_by_label: string | null;
  created_at: string;
  started_at: string | null;
  heartbeat_at: string | null;
  finished_at: string | null;
  /** Until when the process named in `worker` holds this RUNNING job (migration 0011). */
  lease_expires_at: string | null;
}

/** An uploaded key file or an export result, stored in chunks so every process reads it (migration 0011). */
export interface JobFilesTable {
  id: string;
  kind: "upload" | "export";
  job_id: string | null;
  name: string | null;
  bytes: number;
  complete: number;
  created_at: string;
}

export interface JobFileChunksTable {
  file_id: string;
  seq: number;
  data: Buffer;
}

/** Shards of a bulk entitlement's redeemed count (see migration 0005). */
export interface KeyRedemptionCountsTable {
  bulk_id: string;
  shard: number;
  redeemed: number;
}

export interface RateCountersTable {
  bucket: string;
  window_start: number;
  count: number;
}

export interface RedeemMissesTable {
  subject: string;
  misses: number;
  lockouts: number;
  first_miss_at: string;
  locked_until: string | null;
}

export interface SigningKeysTable {
  id: string;
  kid: string;
  algorithm: string;
  public_x: string;
  private_enc: string;
  kek_id: string;
  status: string;
  created_at: string;
  retired_at: string | null;
}

export interface FulfillmentsTable {
  id: string;
  fulfillment_id: string;
  line_item_id: string;
  entitlement_pk: string;
  entitlement_id: string;
  activation_id: string;
  type: string;
  state: string;
  source: string;
  product_name: string;
  product_version: string;
  license_model_id: string;
  license_model_name: string;
  license_model_type: string;
  technology: string;
  /** JSON: the product's features [{name, version, count}] as they were, before scaling by the license count. */
  features: string;
  /** JSON: [{type, id}], ids normalized. */
  hosts: string;
  count: number;
  start_date: string;
  expiration_date: string | null;
  version_date: string | null;
  /** JSON: {name: value}. */
  attributes: string;
  ship_to_email: string | null;
  ship_to_address: string | null;
  send_email: number;
  parent_id: string | null;
  kid: string;
  license: string;
  reason: string | null;
  policy_overridden: number;
  /** Copies of this license taken as extra activations. */
  overdraft_count: number;
  request_nonce: string | null;
  fulfilled_at: string;
  fulfilled_by: string | null;
  fulfilled_by_user_id: string | null;
  updated_at: string;
}

export interface FulfillmentHostsTable {
  fulfillment_id: string;
  position: number;
  line_item_id: string;
  host_type: string;
  normalized: string;
  active: number;
}

export interface FulfillmentActionsTable {
  id: string;
  line_item_id: string;
  fulfillment_id: string;
  action: string;
  at: string;
  overridden: number;
  reason: string | null;
  /** Copies the action stands for: 1 for a support action, the extra copies of an EXTRA_ACTIVATION. */
  copies: Generated<number>;
}

export interface Database {
  accounts: AccountsTable;
  account_relations: AccountRelationsTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_failures: LoginFailuresTable;
  partner_tiers: PartnerTiersTable;
  license_models: LicenseModelsTable;
  products: ProductsTable;
  product_features: ProductFeaturesTable;
  product_relations: ProductRelationsTable;
  product_license_models: ProductLicenseModelsTable;
  part_numbers: PartNumbersTable;
  audit_events: AuditEventsTable;
  events: EventsTable;
  idempotency_keys: IdempotencyKeysTable;
  settings: SettingsTable;
  entitlements: EntitlementsTable;
  line_items: LineItemsTable;
  line_item_products: LineItemProductsTable;
  entitlement_partners: EntitlementPartnersTable;
  entitlement_events: EntitlementEventsTable;
  web_register_keys: WebRegisterKeysTable;
  key_loads: KeyLoadsTable;
  jobs: JobsTable;
  job_files: JobFilesTable;
  job_file_chunks: JobFileChunksTable;
  rate_counters: RateCountersTable;
  user_email_tokens: UserEmailTokensTable;
  key_redemption_counts: KeyRedemptionCountsTable;
  redeem_misses: RedeemMissesTable;
  signing_keys: SigningKeysTable;
  fulfillments: FulfillmentsTable;
  fulfillment_hosts: FulfillmentHostsTable;
  fulfillment_actions: FulfillmentActionsTable;
  email_messages: EmailMessagesTable;
  key_movements: KeyMovementsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
}

/** A webhook endpoint (migration 0022): `event_types` JSON, the secret sealed, its fan-out position. */
export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string | null;
  event_types: string;
  secret_sealed: string;
  enabled: number;
  position_tx_id: number;
  position_seq: number;
  created_at: string;
  updated_at: string;
}

export type WebhookAttemptTrigger = "AUTO" | "REDELIVER" | "TEST";
export type WebhookDeliveryStatus = "PENDING" | "SUCCEEDED" | "FAILED";

/** One event for one endpoint (migration 0022), in order per (endpoint, entitlement). */
export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  event_tx_id: number;
  event_seq: number;
  entitlement_id: string | null;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  deadline_at: string;
  claim: string | null;
  next_trigger: WebhookAttemptTrigger;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
}

/** One attempt at a delivery (migration 0022). */
export interface WebhookDeliveryAttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  attempted_at: string;
  trigger: WebhookAttemptTrigger;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  response_snippet: string | null;
}

/** The key ledger of a bulk entitlement (migration 0016): its movements sum to its key_count. */
export interface KeyMovementsTable {
  id: string;
  bulk_id: string;
  at: string;
  kind: "LOADED" | "DELETED" | "SPLIT_OUT" | "SPLIT_IN";
  count: number;
  other_bulk_id: string | null;
}

/** One email of the outbox (migration 0013): recipients and attachments are JSON text. */
export interface EmailMessagesTable {
  id: string;
  kind: string;
  recipients: string;
  subject: string;
  body_text: string;
  attachments: string;
  status: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  sent_at: string | null;
  job_id: string | null;
  object_type: string | null;
  object_id: string | null;
  created_by: string | null;
  created_by_label: string | null;
  created_at: string;
  updated_at: string;
}

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

export type EntitlementRow = Selectable<EntitlementsTable>;
export type WebRegisterKeyRow = Selectable<WebRegisterKeysTable>;

export type FulfillmentRow = Selectable<FulfillmentsTable>;

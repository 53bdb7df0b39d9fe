// The client side of /api/v2.0: the same HTTP Basic credentials as any API client, kept
// in sessionStorage for the life of the browser tab and sent on every call.

const kStorageKey = 'berth.session';
export const kApiBase = '/api/v2.0';

export interface Session {
  username: string;
  authorization: string; // the Authorization header value
}

// An API call that failed: the HTTP status and the server's own words.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(kStorageKey);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Session;
    return parsed.username && parsed.authorization ? parsed : null;
  } catch {
    return null;
  }
}

export function clearSession(): void {
  sessionStorage.removeItem(kStorageKey);
}

// Fired on window when a call is refused with 401 after sign-in (password changed, user
// removed): the app goes back to the sign-in page.
export const kSessionExpired = 'berth-session-expired';

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = '';
  let message = '';
  try {
    const body = (await response.json()) as {
      errors?: { code?: string; message?: string }[];
    };
    const first = body.errors?.[0];
    code = first?.code ?? '';
    message = first?.message ?? '';
  } catch {
    // Not the JSON error envelope: fall back to the status line.
  }
  if (!message) message = `${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, code, message);
}

async function send<T>(
  method: string,
  path: string,
  body: unknown,
  authorization: string | null,
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'X-Requested-With': 'XMLHttpRequest',
  };
  if (authorization) headers.Authorization = authorization;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(kApiBase + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `cannot reach the server: ${(e as Error).message}`);
  }
  if (!response.ok) throw await errorFrom(response);
  const text = await response.text();
  const data = (text ? JSON.parse(text) : undefined) as T;
  return { data, headers: response.headers, status: response.status };
}

// Checks the credentials with GET /users/current and keeps them for this tab.
export async function signIn(username: string, password: string): Promise<Session> {
  const authorization = 'Basic ' + base64Utf8(`${username}:${password}`);
  await send<unknown>('GET', '/users/current', undefined, authorization);
  const session = { username, authorization };
  sessionStorage.setItem(kStorageKey, JSON.stringify(session));
  return session;
}

// One call with the session's credentials.
export async function call<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
  const session = currentSession();
  try {
    return await send<T>(method, path, body, session?.authorization ?? null);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      clearSession();
      window.dispatchEvent(new CustomEvent(kSessionExpired));
    }
    throw e;
  }
}

// Query string from the defined, non-empty entries of `params`.
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// ---- Harbor models used by the UI (field names as on the wire) ----

export interface Registry {
  id: number;
  name: string;
  url?: string;
  type?: string;
  description?: string;
  insecure?: boolean;
  credential?: { type?: string; access_key?: string; access_secret?: string };
  status?: string;
  last_error?: string;
  last_checked?: string;
  creation_time?: string;
  update_time?: string;
}

export interface EndpointPattern {
  endpoint_type: string; // EndpointPatternTypeStandard | EndpointPatternTypeFix | EndpointPatternTypeList
  endpoints?: { key: string; value: string }[];
}

export interface CredentialPattern {
  access_key_type: string; // AccessKeyTypeStandard | AccessKeyTypeFix
  access_key_data: string;
  access_secret_type: string; // AccessSecretTypeStandard | AccessSecretTypeFile
  access_secret_data: string;
}

export interface ProviderInfo {
  endpoint_pattern?: EndpointPattern;
  credential_pattern?: CredentialPattern;
}

export type AdapterInfos = Record<string, ProviderInfo>;

export interface Project {
  project_id: number;
  name: string;
  registry_id?: number;
  repo_count?: number;
  creation_time?: string;
  metadata?: Record<string, string>;
}

export interface ReplicationFilter {
  type: string; // name | tag | label | resource
  value: string | string[];
  decoration?: string; // matches | excludes (tag and label filters)
}

export interface ReplicationPolicy {
  id: number;
  name: string;
  description?: string;
  src_registry?: Registry | null; // id 0 is this Berth ("Local")
  dest_registry?: Registry | null;
  dest_namespace?: string;
  dest_namespace_replace_count?: number;
  trigger?: { type?: string; trigger_settings?: { cron?: string } } | null;
  filters?: ReplicationFilter[] | null;
  replicate_deletion?: boolean;
  override?: boolean;
  enabled?: boolean;
  speed?: number; // Kbps; 0 or -1: unlimited
  copy_by_chunk?: boolean;
  single_active_replication?: boolean;
  creation_time?: string;
  update_time?: string;
}

export interface ReplicationExecution {
  id: number;
  policy_id: number;
  status: string; // InProgress | Succeed | Failed | Stopped
  status_text?: string;
  trigger?: string;
  total?: number;
  failed?: number;
  succeed?: number;
  in_progress?: number;
  stopped?: number;
  bytes?: number;
  start_time?: string;
  end_time?: string;
}

export interface ReplicationTask {
  id: number;
  execution_id: number;
  status: string;
  operation?: string;
  resource_type?: string;
  src_resource?: string;
  dst_resource?: string;
  bytes?: number;
  artifacts_done?: number;
  artifacts_total?: number;
  start_time?: string;
  end_time?: string;
}

// A plain-text resource (a task log) with the session's credentials.
export async function callText(path: string): Promise<string> {
  const session = currentSession();
  const headers: Record<string, string> = { Accept: 'text/plain', 'X-Requested-With': 'XMLHttpRequest' };
  if (session) headers.Authorization = session.authorization;
  let response: Response;
  try {
    response = await fetch(kApiBase + path, { headers, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `cannot reach the server: ${(e as Error).message}`);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (error.status === 401) {
      clearSession();
      window.dispatchEvent(new CustomEvent(kSessionExpired));
    }
    throw error;
  }
  return response.text();
}

import { Predicate } from "effect"
import { ObjectStoreError } from "../../src/services/ObjectStore.ts"

type Operation = ObjectStoreError["operation"]

/** What an error message may say about the store; `secrets` are scrubbed from every text taken from the SDK. */
export interface S3ErrorContext {
  readonly bucket: string
  readonly prefix: string
  readonly region: string
  readonly endpoint?: string | undefined
  readonly secrets: () => ReadonlyArray<string>
}

const stringField = (value: unknown, field: string): string | undefined =>
  Predicate.hasProperty(value, field) && Predicate.isString(value[field]) ? value[field] : undefined

const statusOf = (cause: unknown): number | undefined =>
  Predicate.hasProperty(cause, "$metadata") &&
  Predicate.hasProperty(cause.$metadata, "httpStatusCode") &&
  Predicate.isNumber(cause.$metadata.httpStatusCode)
    ? cause.$metadata.httpStatusCode
    : undefined

/** The S3 error code (`NoSuchKey`, `SlowDown`, …) or, for a network failure, the Node error code. */
const codeOf = (cause: unknown): string =>
  stringField(cause, "Code") ?? stringField(cause, "code") ?? stringField(cause, "name") ?? "Error"

/** A missing key: `NoSuchKey` from GET, a bare 404 from HEAD (which has no body to name the bucket instead). */
export const isNotFound = (cause: unknown): boolean => {
  const code = codeOf(cause)
  return code === "NoSuchKey" || code === "NotFound" || (statusOf(cause) === 404 && code !== "NoSuchBucket")
}

/** A Range starting at or past the end of the object: the useful answer is no bytes. */
export const isInvalidRange = (cause: unknown): boolean => codeOf(cause) === "InvalidRange" || statusOf(cause) === 416

const throttled = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequests",
  "TooManyRequestsException",
  "RequestThrottled",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "InternalError",
  "ServiceUnavailable",
  "OperationAborted"
])

const network = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT"
])

const denied = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "TokenRefreshRequired",
  "InvalidSecurity",
  "AccountProblem"
])

const wrongRegion = new Set([
  "PermanentRedirect",
  "AuthorizationHeaderMalformed",
  "IllegalLocationConstraintException",
  "Redirect"
])

const describe = (
  context: S3ErrorContext,
  operation: Operation,
  code: string,
  status: number | undefined
): { readonly retryable: boolean; readonly hint: string } => {
  const where = `s3://${context.bucket}/${context.prefix}`
  const server = context.endpoint ?? `AWS S3 in ${context.region}`
  if (network.has(code)) return { retryable: true, hint: `cannot reach ${server}` }
  if (throttled.has(code) || (status !== undefined && (status >= 500 || status === 429)))
    return { retryable: true, hint: `${server} is busy or failing` }
  if (code === "NoSuchBucket")
    return {
      retryable: false,
      hint: `bucket "${context.bucket}" does not exist on ${server}: check object_store.bucket, endpoint and region`
    }
  if (code === "InvalidBucketName")
    return { retryable: false, hint: `"${context.bucket}" is not a valid bucket name: check object_store.bucket` }
  if (denied.has(code) || status === 403)
    return {
      retryable: false,
      hint: `access denied: check object_store.access_key_id and secret_access_key (or the default AWS credentials) and that they may ${operation} in ${where}`
    }
  if (code === "IncompleteCredentials")
    return {
      retryable: false,
      hint: "give both object_store.access_key_id and secret_access_key, or neither (to use the default AWS credentials)"
    }
  if (code === "CredentialsProviderError")
    return {
      retryable: false,
      hint: "no AWS credentials found: set object_store.access_key_id and secret_access_key, or give the default chain credentials (AWS_ACCESS_KEY_ID, a profile, an instance role)"
    }
  if (wrongRegion.has(code) || status === 301)
    return {
      retryable: false,
      hint: `bucket "${context.bucket}" is not reachable in region ${context.region}: check object_store.region and endpoint`
    }
  if (code === "ERR_INVALID_URL")
    return { retryable: false, hint: `endpoint ${context.endpoint ?? ""} is not a URL: check object_store.endpoint` }
  return { retryable: false, hint: "the request was refused" }
}

const scrub = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets.reduce((acc, secret) => (secret.length > 0 ? acc.split(secret).join("<redacted>") : acc), text)

/**
 * Maps an AWS SDK (or network) failure to an `ObjectStoreError`. SDK exceptions carry the raw response and fields
 * copied from the error XML (`AWSAccessKeyId` among them), so the cause kept is a fresh `Error` with only the
 * scrubbed code and message.
 */
export const toStoreError = (
  context: S3ErrorContext,
  operation: Operation,
  key: string,
  cause: unknown
): ObjectStoreError => {
  const code = codeOf(cause)
  const status = statusOf(cause)
  const { retryable, hint } = describe(context, operation, code, status)
  const secrets = context.secrets()
  const message = scrub(stringField(cause, "message") ?? String(cause), secrets)
  const safe = new Error(message)
  safe.name = scrub(code, secrets)
  const statusText = status === undefined ? "" : ` (HTTP ${status})`
  return new ObjectStoreError({
    operation,
    key,
    retryable,
    detail: scrub(`${hint}: ${code}${statusText}: ${message}`, secrets),
    cause: safe
  })
}

// The annotation page's client of the JSON API: one request at a time, errors as ApiError.

/** An HTTP error from the JSON API: `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Sends one request (a JSON `body` when given) and returns the parsed JSON answer. */
export async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "Cannot reach the server. Check the connection and try again.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Not JSON: fall through to the generic message below.
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string"
      ? data.error
      : `The server answered HTTP ${response.status}.`;
    throw new ApiError(response.status, message, response.headers.get("Retry-After"));
  }
  return data;
}

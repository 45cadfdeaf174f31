/**
 * What the server tells a client whose call it refuses: short and stable, so clients can act on them
 * (the client program re-opens a stream ended with `expired`). The reasons go to the server's log.
 */
export const CLIENT_MESSAGES = {
  missing: 'authentication required: send "authorization: Bearer <workload identity token>"',
  invalid: 'invalid workload identity token',
  expired: 'workload identity token expired',
  denied: 'caller is not allowed to call this method',
  unavailable: 'cannot verify tokens right now: issuer keys unavailable',
} as const;

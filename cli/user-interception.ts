import type { Interception } from '../proxy/interception.js';
import type { InterceptionControl } from '../tui/interception-control.js';

/**
 * What the UI asks of the live proxy, carried out by its interception on the user's behalf
 * (`by: "user"`); `initialFilter`: the source of the filter the proxy already holds messages for.
 */
export function userInterception(interception: Interception, initialFilter = ''): InterceptionControl {
  return {
    initialFilter,
    setFilter: (filter) => {
      interception.setFilter(filter?.predicate ?? null);
      return null;
    },
    forward: (conn, seq) => interception.forward(conn, seq, 'user'),
    forwardAll: () => interception.forwardAll('user'),
    drop: (conn, seq) => interception.drop(conn, seq, 'user'),
    edit: (conn, seq, message) => interception.edit(conn, seq, message, 'user'),
    inject: (conn, to, message) => interception.inject(conn, to, message, 'user'),
    resend: (record, message) => interception.resend(record, 'user', message),
    close: (conn, code, reason) => interception.close(conn, code, reason, 'user'),
    reset: (conn) => interception.reset(conn, 'user'),
    summary: () => interception.summary(),
  };
}

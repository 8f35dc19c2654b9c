// Preloaded into the CLI (`node --import`) to see which unmasking ran: on exit, one line on stderr,
// `unmask: native` or `unmask: javascript`. The CLI imports the same module (same URL), so this
// reads the state the CLI set up; importing it first changes nothing, as it loads nothing itself.

import { unmaskImplementation } from '../../core/websocket/unmask.js';

process.on('exit', () => process.stderr.write(`unmask: ${unmaskImplementation()}\n`));

/**
 * The benchmark's `ws` peers run as `ws` does by default, without the native `bufferutil` that
 * wspeek installs for itself: `ws` looks for it when first loaded, so this module is imported first.
 * Forked helpers (the echo server) inherit the setting.
 */
process.env.WS_NO_BUFFER_UTIL = '1';

/**
 * Installing wspeek's CA in Android's system store, for emulators and rooted devices: there every
 * app trusts it, including those that ignore user-installed CAs (Android 7 and later).
 */

/** Where Android 13 and earlier keep the system CAs, a file per certificate. */
export const ANDROID_SYSTEM_CACERTS = '/system/etc/security/cacerts';

/** Where Android 14 and later read the system CAs from instead: an updatable APEX module, read-only. */
export const ANDROID_14_CACERTS = '/apex/com.android.conscrypt/cacerts';

/** The file name the system store expects: the certificate's `subject_hash_old` and `.0`. */
export function androidCertFileName(subjectHashOld: string): string {
  return `${subjectHashOld}.0`;
}

/**
 * The `adb` commands that put the PEM file `pemFile` into the system store as `<hash>.0`: root,
 * remount the system partition writable (an emulator must run with `-writable-system`), push,
 * make it world-readable, reboot.
 */
export function androidSystemStoreCommands(subjectHashOld: string, pemFile: string): string[] {
  const installed = `${ANDROID_SYSTEM_CACERTS}/${androidCertFileName(subjectHashOld)}`;
  return [
    'adb root',
    'adb remount',
    `adb push ${shellWord(pemFile)} ${installed}`,
    `adb shell chmod 644 ${installed}`,
    'adb reboot',
  ];
}

/** `word` as one POSIX shell word: as it is when it has nothing the shell reads, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

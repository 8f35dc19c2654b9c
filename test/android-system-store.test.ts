import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANDROID_14_CACERTS, ANDROID_SYSTEM_CACERTS, androidCertFileName, androidSystemStoreCommands } from '../proxy/tls/android-system-store.js';

test('the file name is the subject_hash_old and .0', () => {
  assert.equal(androidCertFileName('c76823db'), 'c76823db.0');
});

test('the adb commands root, remount, push the PEM as <hash>.0 into the system store, chmod 644 and reboot', () => {
  assert.deepEqual(androidSystemStoreCommands('0a1b2c3d', 'wspeek-ca.pem'), [
    'adb root',
    'adb remount',
    'adb push wspeek-ca.pem /system/etc/security/cacerts/0a1b2c3d.0',
    'adb shell chmod 644 /system/etc/security/cacerts/0a1b2c3d.0',
    'adb reboot',
  ]);
  assert.equal(ANDROID_SYSTEM_CACERTS, '/system/etc/security/cacerts');
  assert.equal(ANDROID_14_CACERTS, '/apex/com.android.conscrypt/cacerts');
});

test('a PEM path the shell would split or expand is single-quoted, quotes in it escaped', () => {
  assert.equal(androidSystemStoreCommands('0a1b2c3d', '/home/me/.wspeek/ca.pem')[2], 'adb push /home/me/.wspeek/ca.pem /system/etc/security/cacerts/0a1b2c3d.0');
  assert.equal(androidSystemStoreCommands('0a1b2c3d', "/Users/Ann O'Neil/$HOME/ca.pem")[2],
    `adb push '/Users/Ann O'\\''Neil/$HOME/ca.pem' /system/etc/security/cacerts/0a1b2c3d.0`);
});

/**
 * The control plane's device identity: one Ed25519 key pair, made on first start and kept
 * sealed in the settings, which agents that pair devices (OpenClaw) approve once per pod
 * so the control plane can read their counters over their own WebSocket.
 * @module
 */
import type { DeviceIdentity } from "../core/adapter.ts";
import { encodeBase64 } from "./secrets.ts";

const decode = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** A new key pair, serialized (PKCS#8 private key and raw public key, base64). */
export async function newDeviceKey(): Promise<string> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return JSON.stringify({ pkcs8: encodeBase64(pkcs8), publicKey: encodeBase64(raw) });
}

/** The identity of a serialized key pair. */
export async function deviceIdentity(serialized: string): Promise<DeviceIdentity> {
  const { pkcs8, publicKey } = JSON.parse(serialized) as { pkcs8: string; publicKey: string };
  const key = await crypto.subtle.importKey("pkcs8", decode(pkcs8), { name: "Ed25519" }, false, [
    "sign",
  ]);
  return {
    publicKey: decode(publicKey),
    sign: async (data) =>
      new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, data as BufferSource)),
  };
}

/**
 * How long an address whose connect failed is passed over while its name has other addresses. A
 * name such as `localhost` often resolves to both ::1 and 127.0.0.1 while the backend listens on
 * one of them; without this, every other fresh connection would be refused.
 */
export const FAILED_ADDRESS_HOLD_MS = 5_000;

/**
 * Picks the address each connect attempt dials: round robin over all of a name's addresses,
 * skipping those that failed recently as long as another one remains.
 */
export class AddressRotation {
  #cursor = 0;
  /** Address → until when it is passed over. Created on the first failure only. */
  #heldUntil: Map<string, number> | undefined = undefined;

  next(addresses: readonly string[], now: number): string {
    const count = addresses.length;
    const start = this.#cursor % count;
    this.#cursor = start + 1;
    const held = this.#heldUntil;
    if (held === undefined || held.size === 0 || count === 1) return addresses[start]!;
    for (let i = 0; i < count; i++) {
      const index = (start + i) % count;
      const address = addresses[index]!;
      const until = held.get(address);
      if (until === undefined || until <= now) {
        this.#cursor = index + 1;
        return address;
      }
    }
    // Every address failed recently: rotate anyway, one of them may have recovered.
    return addresses[start]!;
  }

  failed(address: string, now: number): void {
    (this.#heldUntil ??= new Map()).set(address, now + FAILED_ADDRESS_HOLD_MS);
  }

  succeeded(address: string): void {
    this.#heldUntil?.delete(address);
  }
}
